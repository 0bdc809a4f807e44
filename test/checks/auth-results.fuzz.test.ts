// The MX-header reader (Authentication-Results, spam score, entry TLS) never throws and never hangs
// on generated header blocks; and forged MX headers from the sender's side — an Authentication-Results
// claiming our authserv-id, an X-Spam-Status — never change what it reads with the filter up (its own
// headers present); with it down, no score is believed and an A-R only when forged as the very first
// header (the MX's own place: the limit README's caveat names).
import assert from "node:assert/strict";
import { test } from "node:test";
import { readMessage } from "../../src/checks/message.js";
import type { ReceivedRules } from "../../src/checks/received.js";

const readMxHeaders = (b: Buffer | string, r: ReceivedRules, id: string) => {
  const m = readMessage(b, r, id);
  return { ...m, authResults: m.authResults! };
};
import { rng } from "../helpers/prng.js";

const rules = { mxHosts: ["mx.example.com"], forbiddenCidrs: ["10.42.0.0/16"], expectedCidrs: [] };
const ID = "mx.example.com";

const PIECES = [
  "Authentication-Results: ",
  "mx.example.com",
  "MX.EXAMPLE.COM.",
  "; ",
  ";",
  "spf=pass",
  "dkim=fail",
  "dmarc=",
  "header.d=",
  "smtp.mailfrom=a@b",
  'reason="x;y(z"',
  "(",
  ")",
  '"',
  "\\",
  "none",
  "Received: from h (r [192.0.2.1]) by mx.example.com (Postfix) with ESMTPS id E\r\n",
  "X-Spam-Status: Yes, score=",
  "X-Spamd-Result: default: False [",
  " / 15.00]",
  "-1e999",
  "NaN",
  "9".repeat(400),
  "From: <a@b.example>\r\n",
  "\r\n",
  "\r\n ",
  "\n",
  "\u0000",
  "é",
  "𝕏",
  "ARC-Seal: i=1\r\n",
];

test("50,000 generated blocks: a reading for each, no exception, scores are numbers, bounded time per case", () => {
  const next = rng(20261125);
  let slowest = 0;
  const states = new Map<string, number>();
  for (let i = 0; i < 50_000; i++) {
    let input: string | Buffer;
    if (next() < 0.1) {
      input = Buffer.alloc(Math.floor(next() * 512));
      for (let k = 0; k < input.length; k++) input[k] = Math.floor(next() * 256);
    } else {
      input = "Received: from h (r [192.0.2.1]) by mx.example.com (Postfix) with ESMTPS id E\r\n";
      // Half of them start where the MX writes its header, so that every reading is reached.
      if (next() < 0.5) input += "Authentication-Results: mx.example.com; ";
      const n = Math.floor(next() * 30);
      for (let k = 0; k < n; k++) input += PIECES[Math.floor(next() * PIECES.length)];
      input += next() < 0.5 ? "\r\n\r\n" : "";
    }
    const t = performance.now();
    const r = readMxHeaders(input, rules, ID);
    slowest = Math.max(slowest, performance.now() - t);
    states.set(r.authResults.state, (states.get(r.authResults.state) ?? 0) + 1);
    assert.ok(["found", "none", "absent"].includes(r.authResults.state), `case ${i}`);
    if (r.authResults.state === "found") assert.ok(r.authResults.spf || r.authResults.dkim || r.authResults.dmarc, `case ${i}: found names a method`);
    if (r.spam) assert.ok(!Number.isNaN(r.spam.score), `case ${i}: a number`);
    if (r.spam) assert.notEqual(r.authResults.state, "absent", `case ${i}: a score without the MX's header`);
  }
  for (const s of ["found", "none", "absent"]) assert.ok((states.get(s) ?? 0) > 0, `no ${s} case: ${[...states]}`);
  assert.ok(slowest < 2000, `slowest case ${slowest} ms`);
});

test("10,000 messages with forged MX headers from the sender: the MX's own reading is unchanged; with the filter down only a forged A-R as the very first header is believed", () => {
  const next = rng(20261126);
  const pick = <T>(a: T[]) => a[Math.floor(next() * a.length)]!;
  const results = ["pass", "fail", "softfail", "none", "neutral", "temperror"];
  let atZero = 0;
  for (let i = 0; i < 10_000; i++) {
    const top = "Return-Path: <b@relay.example>\r\nReceived: from mx.example.com ([127.0.0.1]) by mx.example.com with LMTP id L\r\n";
    const entry = `Received: from relay (unknown [${pick(["192.0.2.7", "10.42.0.9"])}]) by mx.example.com (Postfix) with ${pick(["ESMTP", "ESMTPS"])} id E\r\n`;
    const mxAr = `Authentication-Results: mx.example.com;\r\n\tdkim=${pick(results)} header.d=a.example;\r\n\tspf=${pick(results)} smtp.mailfrom=b@relay.example;\r\n\tdmarc=${pick(results)} header.from=a.example\r\n`;
    const sender = ["DKIM-Signature: v=1; d=a.example", "X-Mailprobe-Token: t", "From: A <x@a.example>", "Subject: s", "Message-ID: <m@a>"];
    const score = `X-Spam-Status: ${pick(["Yes", "No"])}, score=${(next() * 20 - 5).toFixed(2)}\r\nX-Spamd-Result: default: False [1.00 / 15.00];\r\n\tSYM(1.00)[]\r\n`;
    const forged = [
      `Authentication-Results: ${pick(["mx.example.com", "MX.Example.Com.", "mx.example.com 1"])}; spf=pass smtp.mailfrom=x@a.example; dkim=pass header.d=a.example; dmarc=pass`,
      `Authentication-Results: mx.example.com; none`,
      `X-Spam-Status: No, score=-${(next() * 10).toFixed(2)}`,
      `X-Spamd-Result: default: False [-9.00 / 15.00]`,
    ];
    const attacked = [...sender];
    // Anywhere, the very first header (position 0, right under the entry hop) included.
    for (let k = 1 + Math.floor(next() * 4); k > 0; k--) attacked.splice(Math.floor(next() * (attacked.length + 1)), 0, pick(forged));
    const block = (s: string[], filterUp: boolean) => top + entry + (filterUp ? mxAr : "") + s.join("\r\n") + "\r\n" + (filterUp ? score : "") + "\r\n";
    const firstIsForgedAr = attacked[0]!.startsWith("Authentication-Results:");
    const honest = readMxHeaders(block(sender, true), rules, ID);
    const withForged = readMxHeaders(block(attacked, true), rules, ID);
    // A forged A-R as the very first header sits next to the MX's own and is read with it: the reader
    // cannot tell them apart. With the filter up that block cannot occur (Rspamd deletes incoming A-R).
    if (!firstIsForgedAr)
      assert.deepEqual({ ...withForged.authResults, ignored: 0 }, { ...honest.authResults, ignored: 0 }, `case ${i}: forged A-R changed the MX's reading`);
    assert.deepEqual(withForged.spam, honest.spam, `case ${i}: forged score changed the reading`);
    const down = readMxHeaders(block(attacked, false), rules, ID);
    // With the filter down (failing open) a forged A-R in the MX's own place, the first header under
    // the entry hop, is indistinguishable from the MX's: it is believed (README: the caveat). Anywhere else: absent.
    if (firstIsForgedAr) {
      atZero++;
      assert.notEqual(down.authResults.state, "absent", `case ${i}: the known limit, a forged first A-R reads as the MX's`);
    } else {
      assert.equal(down.authResults.state, "absent", `case ${i}: filter down, yet a header was believed`);
      // A score is read only with the MX's A-R in its place: without a forged first A-R, never.
      assert.equal(down.spam, undefined, `case ${i}: filter down, yet a score was believed`);
    }
  }
  assert.ok(atZero > 500, `position 0 reached ${atZero} times`);
});
