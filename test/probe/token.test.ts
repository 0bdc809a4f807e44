import assert from "node:assert/strict";
import { test } from "node:test";
import { newToken, tokenKey, verifyToken } from "../../src/core/token.js";

test("a token verifies with its key and carries its creation time", () => {
  const k = tokenKey("inbound", ["secret-a", "secret-b"]);
  const t = newToken(k, 1_795_000_000_000);
  assert.match(t, /^mp1\.[0-9a-z]+\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/);
  assert.equal(verifyToken(k, t)?.createdMs, 1_795_000_000_000);
});

test("tokens are unique, and a foreign or forged one does not verify", () => {
  const k = tokenKey("inbound", ["secret"]);
  const a = newToken(k);
  assert.notEqual(a, newToken(k));
  assert.equal(verifyToken(tokenKey("other", ["secret"]), a), undefined);
  assert.equal(verifyToken(tokenKey("inbound", ["other-secret"]), a), undefined);
  const [p, ts, rnd] = a.split(".");
  assert.equal(verifyToken(k, `${p}.${ts}.${rnd}.AAAAAAAAAAAAAAAAAAAAAA`), undefined);
  assert.equal(verifyToken(k, `${p}.${(Number.parseInt(ts!, 36) - 1).toString(36)}.${rnd}.${a.split(".")[3]}`), undefined);
  assert.equal(verifyToken(k, "mp1.garbage"), undefined);
  assert.equal(verifyToken(k, ""), undefined);
});
