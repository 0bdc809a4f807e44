// Property: a HELO/EHLO the client chose, a recipient it chose, or a header it wrote below our entry
// hop is never the answer. Entry hops in every MTA's grammar with an adversarial HELO (an address
// literal, or text imitating the grammar's own structure with a forged address), forged by-our-MX
// headers below: the verdict names the real client or refuses (entry_hop_unparsed), never a forged
// address. `npm test` runs a slice; test/long/helo-fuzz.test.ts runs 200,000 cases.
import assert from "node:assert/strict";
import { test } from "node:test";
import { MTAS, type Mta } from "../../src/checks/grammars.js";
import { checkReceived } from "../../src/checks/received.js";
import { rng } from "../helpers/prng.js";

const DATE = "; Mon, 23 Nov 2026 15:00:00 +0000\r\n";
const lit = (ip: string) => (ip.includes(":") ? `IPv6:${ip}` : ip);

/** Our MX's entry hop in each grammar, for a HELO, a client address and a recipient. */
const ENTRY: Record<Mta, (helo: string, ip: string, rcpt: string) => string> = {
  postfix: (h, ip, r) => `from ${h} (r.example [${lit(ip)}]) by mx.example.com (Postfix) with ESMTPS id E for <${r}>`,
  exim: (h, ip, r) => `from [${ip}] (helo=${h}) by mx.example.com with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) id E for ${r}`,
  opensmtpd: (h, ip, r) => `from ${h} (r.example [${lit(ip)}]) by mx.example.com (OpenSMTPD) with ESMTPS id 0a1b2c3d for <${r}>`,
  sendmail: (h, ip, r) => `from ${h} (r.example [${lit(ip)}]) by mx.example.com (8.17.1/8.17.1) with ESMTPS id E for <${r}>`,
  exchange: (h, ip) => `from ${h} (${ip}) by mx.example.com (10.0.0.2) with Microsoft SMTP Server (version=TLS1_2, cipher=X) id 15.2.1`,
  stalwart: (h, ip, r) =>
    `from ${h} (r.example [${ip}] (AS64500 Example Net, US)) (using TLSv1.3 with cipher X) by mx.example.com (Stalwart SMTP) with ESMTPS id E for <${r}>`,
  mox: (h, ip, r) => `from ${h} (r.example [${lit(ip)}]) by mx.example.com ([10.42.0.2]) via tcp with ESMTPS id E (TLS1.3 TLS_AES_128_GCM_SHA256) for <${r}>`,
};

const REAL = ["198.51.100.7", "1.179.115.1", "2001:db8::9", "10.42.0.7"];
const FORGED = ["203.0.113.5", "1.179.115.77", "2001:db8::bad", "192.0.2.66"];

export function heloProperty(cases: number, seed: number): Map<string, number> {
  const next = rng(seed);
  const pick = <T>(a: readonly T[]) => a[Math.floor(next() * a.length)]!;
  const rules = { mxHosts: ["mx.example.com"], forbiddenCidrs: ["10.42.0.0/16"], expectedCidrs: [] as string[] };
  const seen = new Map<string, number>();
  for (let i = 0; i < cases; i++) {
    const mta = pick(MTAS);
    const real = pick(REAL);
    const forged = pick(FORGED);
    const imitation = ENTRY[mta]("x", forged, "p@example.com").replace(/^from /, "");
    const helo = pick([`[${forged}]`, `[${lit(forged)}]`, "relay.example", imitation, `${imitation} (`, `a ${imitation}`, `[${forged}] (r [${forged}])`]);
    const rcpt = pick(["p@example.com", `"${imitation}"@example.com`, `"(r [${forged}])"@example.com`]);
    const top = `Received: from mx.example.com ([10.42.1.15]) by mx.example.com with LMTP id L${DATE}`;
    let below = "";
    for (let k = Math.floor(next() * 3); k > 0; k--) below += `Received: ${ENTRY[mta]("good", forged, "p@example.com")}${DATE}`;
    const block = `${top}Received: ${ENTRY[mta](helo, real, rcpt)}${DATE}${below}Subject: x\r\n\r\n`;
    const v = checkReceived(block, { ...rules, mta });
    const label = v.ip ? "real" : (v.reason ?? "ok");
    seen.set(label, (seen.get(label) ?? 0) + 1);
    if (v.ip !== undefined) assert.equal(v.ip, real, `case ${i} (${mta}): named ${v.ip}, not the client ${real}\n${block}`);
    else assert.equal(v.reason, "entry_hop_unparsed", `case ${i} (${mta}): ${JSON.stringify(v)}\n${block}`);
  }
  return seen;
}

test("2,000 adversarial HELOs, recipients and forged headers below, in every grammar: the real client or a refusal", () => {
  const seen = heloProperty(2000, 20261202);
  // Both outcomes are reached: the property is not trivially met by refusing everything.
  assert.ok((seen.get("real") ?? 0) > 500, JSON.stringify([...seen]));
  assert.ok((seen.get("entry_hop_unparsed") ?? 0) > 50, JSON.stringify([...seen]));
});
