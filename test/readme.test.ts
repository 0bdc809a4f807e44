// The README's tables stay true: every failure reason and every metric, with the code's own words.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { REASONS } from "../src/core/reasons.js";
import { METRICS } from "../src/sinks/metrics.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

test("the README's failure-reason table is the catalogue, word for word", () => {
  const rows = [...readme.matchAll(/^\| `([a-z_]+)` \| (.+) \|$/gm)].filter(([, code]) => code! in REASONS);
  assert.deepEqual(Object.fromEntries(rows.map(([, code, text]) => [code, text])), REASONS);
});

test("the README lists every pushed metric", () => {
  const serveOnly = new Set(["roundtripHistogram", "runs", "overruns", "cycleStuck"]);
  for (const [key, m] of Object.entries(METRICS)) {
    if (serveOnly.has(key)) continue;
    assert.match(readme, new RegExp(`\\| \`${m.name}\` \\|`), m.name);
  }
});

test("the README's first screen gives the demo and the test command; .ci/run calls the latter", () => {
  const firstScreen = readme.split("\n").slice(0, 20).join("\n");
  assert.match(firstScreen, /^npm run demo\b/m);
  assert.match(firstScreen, /^npm test\b/m);
  assert.match(readFileSync(new URL("../.ci/run", import.meta.url), "utf8"), /^npm test$/m);
});
