// The bundle ships source maps and turns them on: an internal error's stack names src/…ts lines.
// The fault is forced from outside the product: a preload (test/helpers/fail-stdout.mjs) makes the
// first write to stdout throw, inside the CLI's own output path.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { labConfig, repoRoot, runCli } from "../helpers/cli.js";

test("an internal error in the shipped bundle shows src/…ts:LINE frames (source maps shipped and enabled)", async () => {
  const bundle = readdirSync(join(repoRoot, "dist", "bundle"));
  assert.ok(
    bundle.some((f) => f.endsWith(".js.map")),
    "the bundle ships .map files",
  );
  const r = await runCli(["validate", "--config", labConfig()], { env: { NODE_OPTIONS: `--import ${join(repoRoot, "test", "helpers", "fail-stdout.mjs")}` } });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^mailprobe: internal error: Error: forced internal error \(test\)$/m);
  assert.match(r.stderr, /\n {4}at .*\/src\/cli\/main\.ts:\d+:\d+\)?\n/);
  assert.match(r.stderr, /\n {4}at validateCommand \(.*\/src\/cli\/commands\/validate\.ts:\d+:\d+\)\n/);
  assert.doesNotMatch(r.stderr, /dist\/bundle\/[^\s]+\.js:\d+/, "no frame left in the minified bundle");
});
