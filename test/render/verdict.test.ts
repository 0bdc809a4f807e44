// Rendering: the one verdict phrase in its three lengths, and the one colour helper.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PathResult } from "../../src/core/result.js";
import { paint, table } from "../../src/render/text.js";
import { probeMessage, verdictMessage, verdictPhrase, verdictRow } from "../../src/render/verdict.js";

const okPath: PathResult = {
  name: "external",
  ok: true,
  roundtripSeconds: 0.4,
  deleted: true,
  ip: { ok: true, ip: "127.0.0.42", rule: "expectedCidrs 127.0.0.42/32", match: { list: "expectedCidrs", cidr: "127.0.0.42/32" } },
};
const forbidden: PathResult = {
  name: "internal",
  ok: false,
  reason: "real_ip_forbidden",
  detail: "127.0.0.9: forbiddenCidrs 127.0.0.0/29",
  deleted: true,
  ip: { ok: false, reason: "real_ip_forbidden", ip: "127.0.0.9", rule: "forbiddenCidrs 127.0.0.0/29", match: { list: "forbiddenCidrs", cidr: "127.0.0.0/29" } },
};

test("the run row, watch's phrase and a Kuma message of a healthy and a forbidden path", () => {
  assert.equal(verdictRow(okPath), "expectedCidrs 127.0.0.42/32");
  assert.equal(verdictRow({ ...okPath, ip: undefined }), "ok (no Received rules)");
  assert.equal(verdictRow(forbidden), "real_ip_forbidden: 127.0.0.9: forbiddenCidrs 127.0.0.0/29");
  assert.equal(verdictPhrase(okPath), "ok 127.0.0.42 (expectedCidrs 127.0.0.42/32)");
  // The range comes from the structured match, not from the rule string.
  assert.equal(verdictPhrase({ ...forbidden, ip: { ...forbidden.ip!, rule: "whatever" } }), "real_ip_forbidden 127.0.0.9 in 127.0.0.0/29");
  assert.equal(verdictMessage(okPath), "OK 0.40 s, client 127.0.0.42");
  assert.equal(verdictMessage(forbidden), "FAIL real_ip_forbidden: 127.0.0.9: forbiddenCidrs 127.0.0.0/29");
  assert.equal(verdictMessage({ ...forbidden, detail: "x".repeat(500) }).length, 200);
});

test("watch's phrase cuts a long detail to one short line", () => {
  const p: PathResult = { name: "a", ok: false, reason: "imap_error", detail: "line one\n  " + "y".repeat(200), deleted: false };
  const phrase = verdictPhrase(p);
  assert.ok(phrase.startsWith("imap_error line one yyy") && phrase.endsWith("…") && phrase.length === "imap_error ".length + 90, phrase);
});

test("a probe message lists each path", () => {
  const r = { ok: false, paths: [okPath, forbidden] } as never;
  assert.equal(probeMessage(r), "FAIL external 0.40 s, internal real_ip_forbidden");
});

test("colour only when enabled; the table pads every column but the last", () => {
  assert.equal(paint(false).bad("x"), "x");
  assert.equal(paint(true).bad("x"), "\x1b[31;1mx\x1b[0m");
  assert.deepEqual(
    table([
      ["A", "BB", "C"],
      ["long", "x", "last"],
    ]),
    ["A     BB  C", "long  x   last"],
  );
});
