// Real Received headers of the MTAs the lab does not run (Stalwart, mox, Sendmail, Exchange), taken
// from public repositories' test data (fixtures/vectors/mta-samples.json: repository, path and commit
// of each; extract-mta-samples.mjs copies them verbatim). Each grammar must read its samples to the
// right client address, `by` host and TLS evidence, and must never take an address the client chose:
// the HELO of every sample is replaced by address literals and the reading may only stay or be refused.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { MTAS, type Mta } from "../../src/checks/grammars.js";
import { checkReceived, normaliseIp, parseHop } from "../../src/checks/received.js";

interface Sample {
  mta: Mta;
  source: string;
  received: string;
  kind: "client" | "hidden" | "delivery";
  ip?: string;
  by: string;
  helo?: string;
  tls?: boolean;
}
const { samples } = JSON.parse(readFileSync(new URL("./fixtures/vectors/mta-samples.json", import.meta.url), "utf8")) as { samples: Sample[] };
const HELO_LITERALS = ["[203.0.113.77]", "[IPv6:2001:db8::77]", "203.0.113.77"];

test("MTA samples: each grammar reads its real samples to the right client, by host and TLS", (t) => {
  for (const mta of ["stalwart", "mox", "sendmail", "exchange"])
    assert.ok(
      samples.some((s) => s.mta === mta),
      `no ${mta} sample`,
    );
  const wrong: string[] = [];
  for (const s of samples) {
    const hop = parseHop(s.received, 0, s.mta);
    const got = `${hop.kind} ${hop.ip ?? "-"} by ${hop.by ?? "-"} tls ${hop.tls?.tls ?? "-"}`;
    const want = `${s.kind} ${s.ip ? normaliseIp(s.ip) : "-"} by ${s.by} tls ${s.tls ?? "-"}`;
    if (got !== want) wrong.push(`[${s.source}] ${s.mta}: read ${got}${hop.note ? ` (${hop.note})` : ""}, want ${want}: ${s.received}`);
    else t.diagnostic(`${s.mta}: ${got}`);
    if (s.kind !== "client") continue;
    // The whole rule: a message whose entry hop is this sample is judged on the sample's address.
    const block = `Received: ${s.received}\r\nSubject: x\r\n\r\n`;
    const v = checkReceived(block, { mxHosts: [s.by], forbiddenCidrs: [], expectedCidrs: [], mta: s.mta });
    if (v.ip !== normaliseIp(s.ip!)) wrong.push(`[${s.source}] ${s.mta}: checkReceived ${v.ip ?? v.reason}, want ${s.ip}`);
  }
  assert.deepEqual(wrong, []);
});

test("MTA samples: a HELO replaced by an address literal is never read as the client, under any grammar", (t) => {
  const wrong: string[] = [];
  for (const s of samples.filter((x) => x.helo)) {
    for (const lit of HELO_LITERALS) {
      const forged = s.received.replace(`from ${s.helo!}`, `from ${lit}`);
      assert.notEqual(forged, s.received);
      for (const mta of MTAS) {
        const hop = parseHop(forged, 0, mta);
        if (hop.kind !== "client") continue;
        if (hop.ip !== normaliseIp(s.ip!)) wrong.push(`${mta} read ${hop.ip} from HELO ${lit}: ${forged}`);
        else if (mta === s.mta && lit === HELO_LITERALS[0]) t.diagnostic(`${mta}: HELO ${lit} ignored, client ${hop.ip}`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});

test("MTA samples under the other grammars: a client address read is the sample's, never another; refusals listed", (t) => {
  const wrong: string[] = [];
  for (const s of samples)
    for (const mta of MTAS) {
      const hop = parseHop(s.received, 0, mta);
      if (hop.kind === "client" && hop.ip !== (s.ip ? normaliseIp(s.ip) : undefined)) wrong.push(`${mta} read ${hop.ip} from a ${s.mta} sample: ${s.received}`);
      if (mta !== s.mta && hop.kind === "unparsed") t.diagnostic(`refused ${s.mta} sample under ${mta}: ${hop.note}`);
    }
  assert.deepEqual(wrong, []);
});
