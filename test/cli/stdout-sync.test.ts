// --help is written straight to fd 1 (src/cli/stdout-sync.ts): a write that fails for any reason
// but a reader that has gone must not end in exit code 0, as if the help had been written.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { openSync, closeSync, existsSync } from "node:fs";

test("--help to /dev/full (ENOSPC) exits non-zero, as --version does", { skip: !existsSync("/dev/full") }, () => {
  const full = openSync("/dev/full", "w");
  try {
    const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli/bin.ts", "--help"], { stdio: ["ignore", full, "pipe"], encoding: "utf8" });
    assert.notEqual(r.status, 0, `exit ${r.status}, stderr: ${r.stderr}`);
    assert.match(r.stderr, /ENOSPC/);
  } finally {
    closeSync(full);
  }
});
