// 5a. serve's memory over many cycles (issue 23): one `serve` per way of running it, side by side on
//     the lab, a cycle a second back to back (cron "* * * * * *"; a cycle still running skips the
//     next), the SMTP route into the immediate submission. At checkpoints: RSS (/proc) and the live
//     heap after a forced full GC (a preload answers SIGUSR2 with gc() and process.memoryUsage()).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { labSmtpSender } from "../test/helpers/cli.js";
import { Leftovers, memoryCgroup, removeCgroup } from "./cgroup.js";
import { bundle, imageFlags, node24, port, Report, smtpConfig, table } from "./lib.js";

const PRELOAD = `const fs = require("node:fs");
require("node:v8").setFlagsFromString("--expose-gc");
const gc = require("node:vm").runInNewContext("gc");
process.on("SIGUSR2", () => { gc(); const m = process.memoryUsage(); fs.appendFileSync(process.env.MAILPROBE_BENCH_HEAP, JSON.stringify({ heapUsed: m.heapUsed, rss: m.rss, heapLimit: require("node:v8").getHeapStatistics().heap_size_limit }) + "\\n"); });
`;

/** The chart's default memory limit (charts/mailprobe/values.yaml, resources.limits.memory). */
const CHART_LIMIT_MIB = 256;

const VARIANTS: { label: string; nodeArgs: string[]; nodeOptions: string; limitMiB?: number }[] = [
  { label: "`node mailprobe.js serve` (npm install, systemd): re-executes itself with --lite-mode", nodeArgs: [], nodeOptions: "" },
  { label: `\`node ${imageFlags.join(" ")} mailprobe.js serve\` (the image)`, nodeArgs: imageFlags, nodeOptions: "" },
  { label: "`NODE_OPTIONS=--max-semi-space-size=1`", nodeArgs: [], nodeOptions: "--max-semi-space-size=1" },
  {
    label: "no V8 memory flag (before issue 23; kept by giving `--max-old-space-size=4096`, Node's default here)",
    nodeArgs: ["--max-old-space-size=4096"],
    nodeOptions: "",
  },
  {
    label: `the image's \`node ${imageFlags.join(" ")} mailprobe.js serve\` under the chart's memory limit (${CHART_LIMIT_MIB} MiB, a memory cgroup)`,
    nodeArgs: imageFlags,
    nodeOptions: "",
    limitMiB: CHART_LIMIT_MIB,
  },
  {
    label: `\`node mailprobe.js serve\` (re-executes itself) under the same limit`,
    nodeArgs: [],
    nodeOptions: "",
    limitMiB: CHART_LIMIT_MIB,
  },
];

interface Checkpoint {
  cycle: number;
  heapLimitMiB: number;
  rssMiB: number;
  liveHeapMiB: number;
}

const mib = (b: number) => b / 2 ** 20;

/** Runs one serve until `cycles` runs finished; returns its checkpoints and its peak RSS (VmHWM). */
async function serveFor(
  v: (typeof VARIANTS)[number],
  cycles: number,
  dir: string,
  i: number,
  leftovers: Leftovers,
): Promise<{ points: Checkpoint[]; peakMiB: number; seconds: number } | { skipped: string }> {
  const cfg = smtpConfig(`bench_mem_${i}`, (p) => (p.sender = labSmtpSender(port.submissionImmediate, { login: true })));
  const text = readFileSync(cfg, "utf8") + `serve:\n  listen: 127.0.0.1\n  port: 0\n  schedule: "* * * * * *"\n`;
  writeFileSync(cfg, text);
  const heapFile = join(dir, `heap-${i}.jsonl`);
  writeFileSync(heapFile, "");
  const cgroup = v.limitMiB ? memoryCgroup(`mailprobe-bench-${process.pid}-${i}`, v.limitMiB) : undefined;
  if (cgroup && "why" in cgroup) return { skipped: cgroup.why };
  if (cgroup) leftovers.cgroups.add(cgroup.dir);
  const argv = [...v.nodeArgs, bundle, "serve", "--config", cfg];
  // In a cgroup: a shell joins it and then becomes Node (same pid, so /proc and signals still reach it).
  const options = {
    env: {
      ...process.env,
      MAILPROBE_LOG_LEVEL: "info",
      MAILPROBE_BENCH_HEAP: heapFile,
      NODE_OPTIONS: `--require ${join(dir, "preload.cjs")} ${v.nodeOptions}`,
    },
    stdio: ["ignore", "ignore", "pipe"] as ["ignore", "ignore", "pipe"],
  };
  const child = cgroup ? spawn("/bin/sh", ["-c", `echo $$ > '${cgroup.procs}' && exec "$@"`, "sh", node24, ...argv], options) : spawn(node24, argv, options);
  leftovers.children.add(child);
  const at = new Set([1, ...[0.25, 0.5, 0.75, 1].map((f) => Math.max(2, Math.round(cycles * f)))]);
  const points: Checkpoint[] = [];
  const t0 = Date.now();
  let done = 0;
  let peakMiB = 0;
  let buf = "";
  await new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", async (code) => {
      if (cgroup) await removeCgroup(cgroup.dir);
      if (done < cycles) reject(new Error(`serve exited ${code} after ${done} cycles`));
      else resolve();
    });
    const checkpoint = async (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split("\n");
      buf = lines.pop()!;
      for (const l of lines) {
        if (!l.includes('"msg":"run finished"')) continue;
        done++;
        if (!at.has(done)) continue;
        const status = readFileSync(`/proc/${child.pid}/status`, "utf8");
        const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
        peakMiB = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1]) / 1024;
        const before = readFileSync(heapFile, "utf8").split("\n").filter(Boolean).length;
        child.kill("SIGUSR2");
        for (let k = 0; k < 50 && readFileSync(heapFile, "utf8").split("\n").filter(Boolean).length === before; k++)
          await new Promise((r) => setTimeout(r, 100));
        const last = readFileSync(heapFile, "utf8").split("\n").filter(Boolean).at(-1);
        const rec = last ? JSON.parse(last) : undefined;
        points.push({ cycle: done, rssMiB: rssKb / 1024, liveHeapMiB: rec ? mib(rec.heapUsed) : NaN, heapLimitMiB: rec ? mib(rec.heapLimit) : NaN });
        if (done >= cycles) child.kill("SIGTERM");
      }
    };
    child.stderr.on("data", (d: Buffer) => void checkpoint(d).catch(reject));
  });
  return { points, peakMiB, seconds: (Date.now() - t0) / 1000 };
}

export async function memory(report: Report): Promise<void> {
  const cycles = Number(process.env.BENCH_MEMORY_CYCLES ?? 2000);
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-mem-"));
  writeFileSync(join(dir, "preload.cjs"), PRELOAD);
  // One serve failing rejects Promise.all while the others run on: finally stops them all.
  const leftovers = new Leftovers();
  try {
    const results = await Promise.all(VARIANTS.map((v, i) => serveFor(v, cycles, dir, i, leftovers)));
    const measured = results.find((r) => "points" in r);
    if (!measured || !("points" in measured)) throw new Error("no serve variant could be measured");
    const rows = results.map((r, i) =>
      "skipped" in r
        ? [VARIANTS[i]!.label, ...measured.points.map(() => "–"), `not measured: ${r.skipped}`, "–", "–"]
        : [
            VARIANTS[i]!.label,
            ...r.points.map((p) => `${p.rssMiB.toFixed(0)} / ${p.liveHeapMiB.toFixed(1)}`),
            `${r.peakMiB.toFixed(0)} MiB`,
            `${r.points.at(-1)?.heapLimitMiB.toFixed(0)} MiB`,
            `${Math.round(r.seconds)} s`,
          ],
    );
    const head = measured.points.map((p) => `cycle ${p.cycle}: RSS / live heap (MiB)`);
    report.add("5a. serve's memory over many cycles (issue 23)", [
      `${VARIANTS.length} \`serve\` processes side by side on Node 24 (the bundle), each running its probe a second apart, back to back (cron \`* * * * * *\`; a cycle still running skips the next), the SMTP route into the lab's immediate submission, one path. At each checkpoint the RSS, and the live heap after a forced full GC (a \`--require\` preload answers SIGUSR2 with \`gc()\` and \`process.memoryUsage()\`). ${cycles} cycles each (\`BENCH_MEMORY_CYCLES\`). The last two run in a memory cgroup limited to the chart's default \`resources.limits.memory\` (${CHART_LIMIT_MIB} MiB), as a container's limit would: Node sizes its heap from it ("V8 heap limit"). Target: every way stays under half that limit (${CHART_LIMIT_MIB / 2} MiB).`,
      "",
      ...table(["how serve runs", ...head, "peak RSS", "V8 heap limit", "wall"], rows),
    ]);
  } finally {
    const left = await leftovers.clear();
    if (left.length) console.error(`bench memory: cgroups not removed (a process still in them): ${left.join(", ")}`);
    rmSync(dir, { recursive: true, force: true });
  }
}
