// Redaction (current behaviour): each secret, its URL-encoded and base64 forms; short ones ignored.
import assert from "node:assert/strict";
import { test } from "node:test";
import { learningRedactor, makeRedactor, REDACTED, redactDeep } from "../../src/redact.js";

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

// Issue 12 item 4: redaction before serialisation, and the JSON-escaped form as a fallback.
const AWKWARD = ['pa"ss\\wörd%41✓\\', "line\nbreak-secret", 'q"u"o"t"e"s'];

test("redactDeep redacts secrets holding quotes, backslashes, newlines before JSON sees them; the output stays valid JSON", () => {
  const r = makeRedactor(AWKWARD);
  const value = { detail: `login refused: ${AWKWARD[0]} and ${AWKWARD[1]}`, list: [AWKWARD[2]], err: new Error(`bad ${AWKWARD[1]}`) };
  const text = JSON.stringify(redactDeep(value, r));
  for (const s of AWKWARD) for (const f of [s, JSON.stringify(s).slice(1, -1)]) assert.ok(!text.includes(f), f);
  const back = JSON.parse(text);
  assert.equal(back.detail, `login refused: ${REDACTED} and ${REDACTED}`);
  assert.equal(back.err.message, `bad ${REDACTED}`);
});

test("the JSON-text fallback matches the JSON-escaped form and never cuts the syntax", () => {
  const json = JSON.stringify({ a: `x ${AWKWARD[0]} y`, b: AWKWARD[2] });
  const out = makeRedactor(AWKWARD, { json: true })(json);
  assert.deepEqual(JSON.parse(out), { a: `x ${REDACTED} y`, b: REDACTED });
});

test("the JSON-text fallback leaves a match that would start inside an escape", () => {
  const out = makeRedactor(["nnightmare"], { json: true })(JSON.stringify({ a: "\nnightmare", b: "nnightmare" }));
  assert.deepEqual(JSON.parse(out), { a: "\nnightmare", b: REDACTED });
});

test("a learning redactor learns rotated secrets and keeps the old ones (serve re-reads secret files each cycle)", () => {
  const r = learningRedactor(["old-password-1"]);
  const rj = learningRedactor(["old-password-1"], { json: true });
  assert.equal(r("new-password-2 old-password-1"), `new-password-2 ${REDACTED}`);
  r.learn(["new-password-2"]);
  rj.learn(["new-password-2"]);
  assert.equal(r("new-password-2 old-password-1"), `${REDACTED} ${REDACTED}`);
  assert.equal(r(Buffer.from("user:new-password-2").toString("base64")), REDACTED);
  assert.equal(rj(JSON.stringify({ a: "new-password-2", b: "old-password-1" })), JSON.stringify({ a: REDACTED, b: REDACTED }));
});
