// 5a. serve's memory over many cycles (issue 23): one `serve` per way of running it, side by side on
//     the lab, a cycle a second back to back (cron "* * * * * *"; a cycle still running skips the
//     next), the SMTP route into the immediate submission. At checkpoints: RSS (/proc) and the live
//     heap after a forced full GC (a preload answers SIGUSR2 with gc() and process.memoryUsage()).
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { labSmtpSender } from "../test/helpers/cli.js";
import { bundle, node24, port, Report, smtpConfig, table } from "./lib.js";

const PRELOAD = `const fs = require("node:fs");
require("node:v8").setFlagsFromString("--expose-gc");
const gc = require("node:vm").runInNewContext("gc");
process.on("SIGUSR2", () => { gc(); const m = process.memoryUsage(); fs.appendFileSync(process.env.MAILPROBE_BENCH_HEAP, JSON.stringify({ heapUsed: m.heapUsed, rss: m.rss }) + "\\n"); });
`;

const VARIANTS: { label: string; nodeArgs: string[]; nodeOptions: string }[] = [
  { label: "`node mailprobe.js serve` (npm install, systemd): re-executes itself with --lite-mode", nodeArgs: [], nodeOptions: "" },
  { label: "`node --lite-mode mailprobe.js serve` (the image)", nodeArgs: ["--lite-mode"], nodeOptions: "" },
  { label: "`NODE_OPTIONS=--max-semi-space-size=1`", nodeArgs: [], nodeOptions: "--max-semi-space-size=1" },
  {
    label: "no V8 memory flag (before issue 23; kept by giving `--max-old-space-size=4096`, Node's default here)",
    nodeArgs: ["--max-old-space-size=4096"],
    nodeOptions: "",
  },
];

interface Checkpoint {
  cycle: number;
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
): Promise<{ points: Checkpoint[]; peakMiB: number; seconds: number }> {
  const cfg = smtpConfig(`bench_mem_${i}`, (p) => (p.sender = labSmtpSender(port.submissionImmediate, { login: true })));
  const text = readFileSync(cfg, "utf8") + `serve:\n  listen: 127.0.0.1\n  port: 0\n  schedule: "* * * * * *"\n`;
  writeFileSync(cfg, text);
  const heapFile = join(dir, `heap-${i}.jsonl`);
  writeFileSync(heapFile, "");
  const child = spawn(node24, [...v.nodeArgs, bundle, "serve", "--config", cfg], {
    env: {
      ...process.env,
      MAILPROBE_LOG_LEVEL: "info",
      MAILPROBE_BENCH_HEAP: heapFile,
      NODE_OPTIONS: `--require ${join(dir, "preload.cjs")} ${v.nodeOptions}`,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const at = new Set([1, ...[0.25, 0.5, 0.75, 1].map((f) => Math.max(2, Math.round(cycles * f)))]);
  const points: Checkpoint[] = [];
  const t0 = Date.now();
  let done = 0;
  let peakMiB = 0;
  let buf = "";
  await new Promise<void>((resolve, reject) => {
    child.on("exit", (code) => (done < cycles ? reject(new Error(`serve exited ${code} after ${done} cycles`)) : resolve()));
    child.stderr.on("data", async (d: Buffer) => {
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
        points.push({ cycle: done, rssMiB: rssKb / 1024, liveHeapMiB: last ? mib(JSON.parse(last).heapUsed) : NaN });
        if (done >= cycles) child.kill("SIGTERM");
      }
    });
  });
  return { points, peakMiB, seconds: (Date.now() - t0) / 1000 };
}

export async function memory(report: Report): Promise<void> {
  const cycles = Number(process.env.BENCH_MEMORY_CYCLES ?? 2000);
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-mem-"));
  writeFileSync(join(dir, "preload.cjs"), PRELOAD);
  try {
    const results = await Promise.all(VARIANTS.map((v, i) => serveFor(v, cycles, dir, i)));
    const rows = results.map((r, i) => [
      VARIANTS[i]!.label,
      ...r.points.map((p) => `${p.rssMiB.toFixed(0)} / ${p.liveHeapMiB.toFixed(1)}`),
      `${r.peakMiB.toFixed(0)} MiB`,
      `${Math.round(r.seconds)} s`,
    ]);
    const head = results[0]!.points.map((p) => `cycle ${p.cycle}: RSS / live heap (MiB)`);
    report.add("5a. serve's memory over many cycles (issue 23)", [
      `Four \`serve\` processes side by side on Node 24 (the bundle), each running its probe a second apart, back to back (cron \`* * * * * *\`; a cycle still running skips the next), the SMTP route into the lab's immediate submission, one path. At each checkpoint the RSS, and the live heap after a forced full GC (a \`--require\` preload answers SIGUSR2 with \`gc()\` and \`process.memoryUsage()\`). ${cycles} cycles each (\`BENCH_MEMORY_CYCLES\`). Not measured here: under a container memory limit (no cgroup delegation on this machine).`,
      "",
      ...table(["how serve runs", ...head, "peak RSS", "wall"], rows),
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
