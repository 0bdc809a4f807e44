// The memory bench runs serve in a memory cgroup (bench/memory.ts, bench/cgroup.ts). Before: a cgroup
// whose limit could not be written was left behind (made, then the write threw); the cgroup was
// removed only in the serve's 'exit' listener, by an rmdirSync that threw (EBUSY) if anything was
// still in it; and when one serve failed, Promise.all rejected while the other serves (in their
// cgroups) ran on, probing the lab every second. Needs root and a memory cgroup controller (skipped
// otherwise); it makes its own cgroups, named mailprobe-test-PID-…, and removes them.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { after, test } from "node:test";
import { Leftovers, memoryCgroup } from "../../bench/cgroup.js";

const probe = memoryCgroup(`mailprobe-test-${process.pid}-probe`, 64);
const skip = "why" in probe ? probe.why : process.getuid?.() !== 0 ? "not root" : false;
const cleanup = new Leftovers();
if (!("why" in probe)) cleanup.cgroups.add(probe.dir);
after(() => cleanup.clear());

test("a cgroup whose memory limit the kernel refuses is not left behind", { skip }, async () => {
  const r = memoryCgroup(`mailprobe-test-${process.pid}-nan`, Number.NaN);
  assert.ok("why" in r, "the limit 'NaN' is refused");
  const dir = "why" in probe ? "" : probe.dir.replace(/probe$/, "nan");
  assert.equal(existsSync(dir), false, `${dir} left behind`);
});

test("clear() stops a serve still running in its cgroup and removes the cgroup", { skip }, async () => {
  const cg = memoryCgroup(`mailprobe-test-${process.pid}-run`, 64);
  assert.ok(!("why" in cg));
  const leftovers = new Leftovers();
  leftovers.cgroups.add(cg.dir);
  const child = spawn("/bin/sh", ["-c", `echo $$ > '${cg.procs}' && exec sleep 60`], { stdio: "ignore" });
  leftovers.children.add(child);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(child.exitCode, null, "running");
  assert.deepEqual(await leftovers.clear(), []);
  assert.equal(child.signalCode, "SIGKILL");
  assert.equal(existsSync(cg.dir), false);
});
