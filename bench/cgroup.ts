// The memory bench's cgroups and serve processes (bench/memory.ts): whatever fails — a serve that
// exits early, a checkpoint that throws, a cgroup whose limit cannot be written — none of them is
// left behind (a serve left running probes the lab every second until someone kills it).
import type { ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";

/**
 * A memory cgroup limited to `limitMiB` (what a container's memory limit is, and what Node sizes its
 * heap from): cgroup v2 if it delegates the memory controller, else v1's memory hierarchy. Returns
 * its cgroup.procs file, or why there is none (and then no directory is left).
 */
export function memoryCgroup(name: string, limitMiB: number, root = "/sys/fs/cgroup"): { procs: string; dir: string } | { why: string } {
  const bytes = String(limitMiB * 2 ** 20);
  let made: string | undefined;
  try {
    const v2 = existsSync(`${root}/cgroup.subtree_control`) && readFileSync(`${root}/cgroup.subtree_control`, "utf8").split(/\s+/).includes("memory");
    const v1 = !v2 && existsSync(`${root}/memory/memory.limit_in_bytes`);
    if (!v2 && !v1) return { why: "no memory cgroup controller here" };
    const dir = v2 ? `${root}/${name}` : `${root}/memory/${name}`;
    mkdirSync(dir);
    made = dir;
    writeFileSync(`${dir}/${v2 ? "memory.max" : "memory.limit_in_bytes"}`, bytes);
    return { procs: `${dir}/cgroup.procs`, dir };
  } catch (e) {
    if (made) rmdirSync(made);
    return { why: `cannot create a memory cgroup: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}` };
  }
}

/** Removes a cgroup; one still emptying (EBUSY right after its last process exits) is retried. Never throws. */
export async function removeCgroup(dir: string): Promise<boolean> {
  for (let k = 0; ; k++) {
    try {
      rmdirSync(dir);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return true;
      if (k >= 40) return false;
      await sleep(50);
    }
  }
}

/** Every serve started and every cgroup made: clear() kills the serves still running, then removes the cgroups. */
export class Leftovers {
  readonly children = new Set<ChildProcess>();
  readonly cgroups = new Set<string>();

  /** The cgroups that could not be removed (a process outside our children still in one). */
  async clear(): Promise<string[]> {
    const running = [...this.children].filter((c) => c.pid !== undefined && c.exitCode === null && c.signalCode === null);
    await Promise.all(
      running.map(
        (c) =>
          new Promise<void>((resolve) => {
            c.once("exit", () => resolve());
            c.kill("SIGKILL");
          }),
      ),
    );
    const left: string[] = [];
    for (const dir of this.cgroups) if (!(await removeCgroup(dir))) left.push(dir);
    return left;
  }
}
