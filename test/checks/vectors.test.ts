// Public test vectors (provenance in fixtures/vectors/*.json and README.md): every Received header of
// SpamAssassin's, Rspamd's and mailauth's parser suites read under every MTA grammar, and every
// Authentication-Results example of RFC 8601 Appendix B and of go-msgauth's, Mail::AuthenticationResults'
// and Python authres' suites. Required: no wrong client address and no wrong `pass`; every refusal is
// listed in the test's output with its reason.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { MTAS } from "../../src/checks/grammars.js";
import { parseAuthResultsValue } from "../../src/checks/auth-results.js";
import { normaliseIp, parseHop } from "../../src/checks/received.js";

interface Vector {
  source: string;
  received: string;
  ip: string | null;
  by: string | null;
}
const load = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/vectors/${name}`, import.meta.url), "utf8"));

test("Received vectors: under every grammar, a client address read is the suite's, never another; refusals listed", (t) => {
  const { vectors } = load("received.json") as { vectors: Vector[] };
  assert.ok(vectors.length > 150);
  const wrong: string[] = [];
  const read = new Map<string, number>();
  for (const v of vectors) {
    const value = v.received.replace(/\s+/g, " ").trim();
    for (const mta of MTAS) {
      const hop = parseHop(value, 0, mta);
      if (hop.kind !== "client") {
        if (v.ip) t.diagnostic(`refused [${v.source}] ${mta}: ${hop.kind}${hop.note ? ` (${hop.note})` : ""}: ${value.slice(0, 110)}`);
        continue;
      }
      read.set(mta, (read.get(mta) ?? 0) + 1);
      const want = v.ip ? normaliseIp(v.ip.replace(/^\[|\]$/g, "")) : undefined;
      if (hop.ip !== want) wrong.push(`[${v.source}] ${mta} read ${hop.ip}, the suite ${v.ip ?? "none"}: ${value}`);
      else if (v.by && hop.by !== v.by.toLowerCase()) wrong.push(`[${v.source}] ${mta} by ${hop.by}, the suite ${v.by}: ${value}`);
    }
  }
  t.diagnostic(`client hops read per grammar: ${[...read].map(([m, n]) => `${m} ${n}`).join(", ")}`);
  assert.deepEqual(wrong, []);
  // The suites hold real Postfix, Exim, Sendmail and Exchange hops: each of those grammars reads some.
  for (const mta of ["postfix", "exim", "sendmail", "exchange"]) assert.ok((read.get(mta) ?? 0) > 0, `${mta} read none`);
});

interface ArVector {
  source: string;
  value: string;
  authservId: string | null;
  expect: [string, string][];
}

test("Authentication-Results vectors: the authserv-id and every asserted spf/dkim/dmarc result; never a pass the suite does not give", (t) => {
  const { vectors } = load("auth-results.json") as { vectors: ArVector[] };
  assert.ok(vectors.length >= 20);
  const wrong: string[] = [];
  for (const v of vectors) {
    const r = parseAuthResultsValue(v.value);
    if (v.authservId && r.authservId !== v.authservId.toLowerCase()) wrong.push(`[${v.source}] authserv-id ${r.authservId}, the suite ${v.authservId}`);
    for (const [method, result] of v.expect) {
      const ours = r.methods.filter((m) => m.method === method).map((m) => m.result);
      if (!ours.includes(result)) wrong.push(`[${v.source}] ${method}: ours ${ours.join(",") || "none"}, the suite ${result}`);
    }
    for (const m of r.methods) {
      const theirs = v.expect.filter(([method]) => method === m.method).map(([, res]) => res);
      if (m.result === "pass" && theirs.length && !theirs.includes("pass")) wrong.push(`[${v.source}] a wrong pass for ${m.method}`);
    }
    for (const u of r.unread) t.diagnostic(`refused [${v.source}]: unreadable resinfo "${u}"`);
  }
  assert.deepEqual(wrong, []);
});

interface PyVector {
  source: string;
  value: string;
  authservId: string | null;
  /** [method, result, index of the resinfo] as the suite asserts them. */
  expect: [string, string, number][];
  /** The suite's syntax error, when Python authres refuses the whole header. */
  pythonRefuses?: string;
}

test("Python authres vectors: every asserted method and result at its position; never a pass the suite does not give; refusals listed", (t) => {
  const { sources, vectors } = load("authres-python.json") as { sources: { sha256: string }[]; vectors: PyVector[] };
  assert.equal(sources[0]!.sha256.length, 64);
  assert.ok(vectors.length >= 20);
  const wrong: string[] = [];
  for (const v of vectors) {
    const r = parseAuthResultsValue(v.value);
    if (v.authservId && r.authservId !== v.authservId.toLowerCase()) wrong.push(`[${v.source}] authserv-id ${r.authservId}, the suite ${v.authservId}`);
    for (const [method, result, i] of v.expect) {
      const ours = r.methods[i];
      if (ours?.method !== method || ours.result !== result)
        wrong.push(`[${v.source}] result ${i}: ours ${ours ? `${ours.method}=${ours.result}` : "none"}, the suite ${method}=${result}`);
    }
    for (const m of r.methods) {
      const theirs = v.expect.filter(([method]) => method === m.method).map(([, res]) => res);
      if (m.result === "pass" && theirs.length && !theirs.includes("pass")) wrong.push(`[${v.source}] a wrong pass for ${m.method}`);
    }
    if (v.pythonRefuses) {
      // Python refuses the whole header; we read resinfo by resinfo. What we read must hold no pass of a method we judge.
      const read = r.methods.map((m) => `${m.method}=${m.result}`).join(" ") || "nothing";
      t.diagnostic(`refused by Python authres [${v.source}] (${v.pythonRefuses.split("\n")[0]}): ours read ${read}, unreadable ${JSON.stringify(r.unread)}`);
      for (const m of r.methods)
        if (m.result === "pass" && ["spf", "dkim", "dmarc"].includes(m.method)) wrong.push(`[${v.source}] ${m.method}=pass from a header the suite refuses`);
    }
    for (const u of r.unread) t.diagnostic(`refused [${v.source}]: unreadable resinfo "${u}"`);
  }
  assert.deepEqual(wrong, []);
});
