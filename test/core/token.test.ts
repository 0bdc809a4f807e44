import assert from "node:assert/strict";
import { test } from "node:test";
import { ephemeralTokenKey, newToken, probeSubject, tokenKey, tokenOfSubject, verifyToken } from "../../src/core/token.js";

test("a token verifies with its key and carries its creation time", () => {
  const k = tokenKey("k".repeat(32));
  const t = newToken(k, 1_795_000_000_000);
  assert.match(t, /^mp1\.[0-9a-z]+\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
  assert.equal(verifyToken(k, t)?.createdMs, 1_795_000_000_000);
});

test("tokens are unique, and a foreign or forged one does not verify", () => {
  const k = tokenKey("a-dedicated-key-0123456789abcdef-0");
  const a = newToken(k);
  assert.notEqual(a, newToken(k));
  assert.equal(verifyToken(tokenKey("a-dedicated-key-0123456789abcdef-1"), a), undefined);
  assert.equal(verifyToken(ephemeralTokenKey(), a), undefined);
  const [p, ts, rnd] = a.split(".");
  assert.equal(verifyToken(k, `${p}.${ts}.${rnd}.AAAAAAAAAAAAAAAAAAAAAA`), undefined);
  assert.equal(verifyToken(k, `${p}.${(Number.parseInt(ts!, 36) - 1).toString(36)}.${rnd}.${a.split(".")[3]}`), undefined);
  assert.equal(verifyToken(k, "mp1.garbage"), undefined);
  assert.equal(verifyToken(k, ""), undefined);
});

test("the key is the configured secret alone: no probe name, no password goes into it", () => {
  const k = tokenKey("a-dedicated-key-0123456789abcdef-0");
  assert.equal(k.configured, true);
  assert.equal(ephemeralTokenKey().configured, false);
  // Same key string, same MAC: a password rotation (or a rename) cannot orphan old probe messages.
  const t = newToken(k);
  assert.ok(verifyToken(tokenKey("a-dedicated-key-0123456789abcdef-0"), t));
});

test("version 2 signs the stale time into the token; a changed stale time does not verify", () => {
  const k = tokenKey("k".repeat(32));
  const t = newToken(k, 1_795_000_000_000, 3_600_000);
  assert.match(t, /^mp2\.[0-9a-z]+\.[0-9a-z]+\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
  assert.deepEqual(verifyToken(k, t), { version: 2, createdMs: 1_795_000_000_000, staleAtMs: 1_795_003_600_000 });
  const [p, c, , r, m] = t.split(".");
  assert.equal(verifyToken(k, `${p}.${c}.${(1_795_999_000_000).toString(36)}.${r}.${m}`), undefined);
});

test("the subject stands in for the header only exactly as mailprobe wrote it", () => {
  const t = newToken(tokenKey("k".repeat(32)), Date.now(), 60_000);
  assert.equal(tokenOfSubject(probeSubject("inbound", t), "inbound"), t);
  assert.equal(tokenOfSubject(`mailprobe inbound\r\n ${t}`, "inbound"), t, "folded by the sender");
  for (const s of [`Re: mailprobe inbound ${t}`, `mailprobe inbound ${t} `, `mailprobe other ${t}`, `mailprobe inbound ${t}x`, `MAILPROBE inbound ${t}`])
    assert.equal(tokenOfSubject(s, "inbound"), undefined, s);
});
