// The bundle ships source maps and maps an internal error's stack to src/…ts lines when it prints it;
// no command turns Node's source-map support on at start (reading every map cost ~30 ms a start).
// The fault is forced from outside the product: a preload (test/helpers/fail-stdout.mjs) makes the
// first write to stdout throw, inside the CLI's own output path.
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { labConfig, repoRoot, runCli } from "../helpers/cli.js";

test("an internal error in the shipped bundle shows src/…ts:LINE frames (source maps shipped, read when the stack is printed)", async () => {
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

test("a command that prints no stack never turns Node's source-map support on (the maps are not read at start)", async () => {
  const r = await runCli(["validate", "--config", labConfig()], {
    env: { NODE_OPTIONS: `--import ${join(repoRoot, "test", "helpers", "report-sourcemaps.mjs")}` },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^sourceMapsEnabled=false$/m);
});

test("every start writes Node's compile cache (in the OS temp dir unless NODE_COMPILE_CACHE says where), for every user, not only the image", async () => {
  const tmp = mkdtempSync(join(tmpdir(), "mailprobe-cc-"));
  try {
    const r = await runCli(["validate", "--config", labConfig()], { env: { TMPDIR: tmp, NODE_COMPILE_CACHE: "" } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readdirSync(tmp).includes("node-compile-cache"), `no compile cache in ${tmp}: ${readdirSync(tmp).join(", ")}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
