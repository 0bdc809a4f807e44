// The long tier of test/checks/helo.fuzz.test.ts: 200,000 cases (MAILPROBE_LONG=1, npm run test:long).
import assert from "node:assert/strict";
import { test } from "node:test";
import { heloProperty } from "../checks/helo.fuzz.test.js";

test("200,000 adversarial HELOs, recipients and forged headers below: the real client or a refusal", { skip: process.env.MAILPROBE_LONG !== "1" }, () => {
  const seen = heloProperty(200_000, 20261203);
  assert.ok((seen.get("real") ?? 0) > 50_000);
});
