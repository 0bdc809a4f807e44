// Property test of the one sanitiser (issue 18 item 1): generated secrets (8–128 bytes with `"`,
// `\`, newline, unicode) carried in HTTP Basic, SASL PLAIN, XOAUTH2, URL userinfo, JSON and
// multipart at random offsets, echoed by a peer raw, URL- or form-encoded, JSON, base64 (both
// alphabets), hex or quoted-printable inside its reply (a carrier that is base64 already is
// repeated as text, not encoded twice): after redaction, no decoding of the output
// holds the secret. The long tier runs many more seeds.
import assert from "node:assert/strict";
import { test } from "node:test";
import { base64Cores, makeRedactor, REDACTED, redactDeep } from "../../src/redact.js";
import { BASE64_CARRIERS, CARRIERS, decodable, ECHOES, genSecret, inReply, rng, TEXT_ECHOES } from "./secret-forms.js";

const CASES = process.env.MAILPROBE_LONG === "1" ? 2000 : 40;

test("base64 of prefix + secret contains one of the secret's three cores, whatever the prefix", () => {
  const r = rng(7);
  for (let i = 0; i < 200; i++) {
    const secret = genSecret(r);
    const prefix = Buffer.from(Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * 256)));
    const b64 = Buffer.concat([prefix, Buffer.from(secret), Buffer.from("tail")]).toString("base64");
    assert.ok(
      base64Cores(secret).some((c) => b64.includes(c)),
      `seed 7 case ${i}`,
    );
  }
});

test(`${CASES} generated secrets, every carrier × echo: nothing decodable after redaction (text and JSON)`, () => {
  const r = rng(18);
  const failures: string[] = [];
  for (let i = 0; i < CASES; i++) {
    const secret = genSecret(r);
    const redact = makeRedactor(["unrelated-secret", secret]);
    const redactJson = makeRedactor(["unrelated-secret", secret], { json: true });
    for (const [carrier, carry] of Object.entries(CARRIERS)) {
      for (const [echo, encode] of Object.entries(ECHOES)) {
        if (BASE64_CARRIERS.has(carrier) && !TEXT_ECHOES.has(echo)) continue;
        const reply = inReply(r, encode(carry(secret, r)));
        assert.ok(decodable(reply, secret), `the checker finds ${carrier}/${echo} before redaction (case ${i})`);
        const out = redact(reply);
        const viaJson = JSON.stringify(redactDeep({ detail: reply, sinks: [{ error: reply }] }, redact));
        const fallback = redactJson(JSON.stringify({ detail: reply }));
        for (const [where, text] of [
          ["text", out],
          ["redactDeep → JSON", viaJson],
          ["JSON fallback", fallback],
        ] as const) {
          if (decodable(text, secret)) failures.push(`case ${i} ${carrier}/${echo} ${where}: ${JSON.stringify(text).slice(0, 200)}`);
        }
        assert.doesNotThrow(() => JSON.parse(fallback), `the fallback keeps JSON valid (${carrier}/${echo})`);
        assert.ok(out.includes(REDACTED) || !decodable(reply, secret), `${carrier}/${echo}`);
      }
    }
  }
  assert.deepEqual(failures.slice(0, 5), [], `${failures.length} leaks`);
});
