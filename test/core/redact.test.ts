// Redaction (current behaviour): each secret, its URL-encoded and base64 forms; short ones ignored.
import assert from "node:assert/strict";
import { test } from "node:test";
import { makeRedactor, REDACTED, redactDeep } from "../../src/redact.js";

test("a secret is replaced in plain, URL-encoded and base64 form", () => {
  const r = makeRedactor(["p@ss word/1"]);
  assert.equal(r("x p@ss word/1 y"), `x ${REDACTED} y`);
  assert.equal(r(`u=${encodeURIComponent("p@ss word/1")}`), `u=${REDACTED}`);
  assert.equal(r(Buffer.from("p@ss word/1").toString("base64")), REDACTED);
});

test("the longer secret is replaced first; secrets under 4 characters are ignored", () => {
  const r = makeRedactor(["abcd", "abcdefgh", "xyz"]);
  assert.equal(r("abcdefgh abcd xyz"), `${REDACTED} ${REDACTED} xyz`);
  assert.equal(makeRedactor([])("anything"), "anything");
});

test("redactDeep redacts every string in a JSON value", () => {
  assert.deepEqual(redactDeep({ a: ["key=s3cret!"], b: { c: "s3cret!" } }, makeRedactor(["s3cret!"])), { a: [`key=${REDACTED}`], b: { c: REDACTED } });
});
