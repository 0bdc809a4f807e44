// serve and watch replace themselves with a Node given a V8 memory flag (src/cli/reexec.ts). Its
// comment promised "execve refused (…, a vanished binary): run on without the flag", but a failed
// process.execve is no exception: Node aborts (SIGABRT, exit 134, "process.execve failed with error
// code ENOENT"), so a serve whose Node binary had been replaced or removed since it started (a package
// upgrade under a running unit's restart) died at start instead of serving. The binary is now checked
// first. Run in a child process: the re-exec is asked for with an execPath that does not exist.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { join } from "node:path";
import { repoRoot } from "../helpers/cli.js";

test("a serve whose Node binary vanished runs on without the memory flag (no SIGABRT from a failed execve)", () => {
  const reexec = pathToFileURL(join(repoRoot, "src", "cli", "reexec.ts")).href;
  const script = `
    const { reexecForMemory } = await import(${JSON.stringify(reexec)});
    process.execPath = "/nonexistent/mailprobe-test/node";
    process.argv = [process.execPath, "/app/mailprobe.js", "serve"];
    reexecForMemory();
    console.log("ran on");`;
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: repoRoot, env, encoding: "utf8" });
  assert.equal(r.signal, null, r.stderr);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "ran on");
});
