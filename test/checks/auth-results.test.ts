// Authentication-Results parsing (current behaviour): the topmost header's spf/dkim/dmarc words.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAuthResults } from "../../src/checks/auth-results.js";

test("the topmost header wins; results are lower-cased; folded lines are read", () => {
  const block =
    "Authentication-Results: mx.lab.test;\r\n\tspf=PASS smtp.mailfrom=sender.lab.test;\r\n\tdkim=fail header.d=x; dmarc=none\r\n" +
    "Authentication-Results: relay.example; spf=fail\r\nSubject: x\r\n\r\n";
  assert.deepEqual(parseAuthResults(block), { spf: "pass", dkim: "fail", dmarc: "none" });
});

test("only the methods present; none at all → undefined; no header → undefined", () => {
  assert.deepEqual(parseAuthResults("Authentication-Results: mx; dkim=pass\r\n\r\n"), { dkim: "pass" });
  assert.equal(parseAuthResults("Authentication-Results: mx; none\r\n\r\n"), undefined);
  assert.equal(parseAuthResults("Subject: hello\r\n\r\n"), undefined);
  assert.equal(parseAuthResults(Buffer.alloc(0)), undefined);
});

test("a method name inside another word is not taken (xspf=pass)", () => {
  assert.equal(parseAuthResults("Authentication-Results: mx; xspf=pass\r\n\r\n"), undefined);
});
