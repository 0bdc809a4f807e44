// The config's small cron check against node-cron itself (which the scheduler uses): the same
// answer on common, odd and wrong expressions.
import assert from "node:assert/strict";
import { test } from "node:test";
import cron from "node-cron";
import { isCronExpression } from "../../src/config/cron.js";

const EXPRESSIONS = [
  "*/20 * * * *",
  "* * * * *",
  "*/2 * * * * *",
  "0 */6 * * *",
  "0 0 1 1 *",
  "5,35 8-18 * * mon-fri",
  "0 9 * * MON",
  "0 9 * jan,jul *",
  "0 0 1-15/2 * *",
  "0 0 L * *",
  "0 0 15W * *",
  "0 0 * * 5#2",
  "0 0 ? * 1",
  "@hourly",
  "@daily",
  "0 0 * * 7",
  "61 * * * *",
  "* 24 * * *",
  "* * 32 * *",
  "* * * 13 *",
  "* * * * 8",
  "* * * *",
  "* * * * * * *",
  "*/0 * * * *",
  "a * * * *",
  "",
  "every 5 minutes",
  "1-2-3 * * * *",
  "*/5/2 * * * *",
  "5-1 * * * *",
];

test("isCronExpression agrees with node-cron's validate", () => {
  for (const e of EXPRESSIONS) assert.equal(isCronExpression(e), cron.validate(e), JSON.stringify(e));
});
