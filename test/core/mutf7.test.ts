// Modified UTF-7 (RFC 3501 5.1.3): the examples of the RFC, a round trip over generated names, and
// what is not modified UTF-7 (the config's mailbox rule refuses names written in it).
import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeMutf7, encodeMutf7 } from "../../src/core/mutf7.js";
import { rng } from "../helpers/prng.js";

test("RFC 3501's example and the usual names", () => {
  assert.equal(encodeMutf7("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
  assert.equal(encodeMutf7("Entwürfe"), "Entw&APw-rfe");
  assert.equal(encodeMutf7("Q&A"), "Q&-A");
  assert.equal(decodeMutf7("Entw&APw-rfe"), "Entwürfe");
  assert.equal(decodeMutf7("INBOX.Sent"), "INBOX.Sent");
});

test("not modified UTF-7: an unterminated run, a bad base64 character, an encoded printable ASCII, a raw non-ASCII", () => {
  for (const bad of ["&Jjo", "&Jj!o-", "&AGE-", "Entwürfe"]) assert.equal(decodeMutf7(bad), undefined, bad);
});

test("round trip over 2,000 generated names (ASCII, &, accents, CJK, astral)", () => {
  const r = rng(3501);
  const pool = ["a", "Z", "&", "-", ".", "/", " ", "ü", "é", "日", "本", "🙂", "~", ","];
  for (let i = 0; i < 2000; i++) {
    const name = Array.from({ length: 1 + Math.floor(r() * 12) }, () => pool[Math.floor(r() * pool.length)]).join("");
    assert.equal(decodeMutf7(encodeMutf7(name)), name, JSON.stringify(name));
  }
});
