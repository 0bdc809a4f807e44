// rev3 (hostile review of 6471fab): the bundle swapped yaml's CommonJS build for its browser ESM
// build, whose warn() writes console.warn instead of process.emitWarning. A config with a collection
// as a key (`? [a, b]`) makes yaml warn while converting: before, a Node warning that
// NODE_NO_WARNINGS / --no-warnings silence and that reads "(node:PID) Warning: …"; now a bare stderr
// line nothing silences, ahead of validate's own report (which already names the key).
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";

test("NODE_NO_WARNINGS silences yaml's warning about a collection key, as with yaml's Node build", async () => {
  const file = join(mkdtempSync(join(tmpdir(), "mailprobe-yaml-warn-")), "config.yaml");
  writeFileSync(file, "? [a, b]\n: 1\nprobes: []\n");
  const r = await runCli(["validate", "--config", file], { env: { NODE_NO_WARNINGS: "1" } });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /unknown field "\[ a, b \]"/, "validate names the key itself");
  assert.doesNotMatch(r.stderr, /^Keys with collection values/m, "a bare console.warn line NODE_NO_WARNINGS does not silence");
});
