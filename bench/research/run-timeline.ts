// Research for issue 23 (not part of `npm run bench`): where a whole run's time goes on the lab's
// immediate path (as bench/immediate.ts: Node 24, --lite-mode, compile cache warm). With the lab up:
//   scripts/node --import tsx bench/research/run-timeline.ts        (RUNS=11 by default, the first a warm-up)
// boot: spawn → Node's bootstrap done (an --import preload's performance.now()); toRun: → the probe
// starts (result.startedAt: the CLI, the config, the run's modules); run: the probe's durationSeconds
// (open: the path's openSeconds; seen: its roundtrip from the send); after: the run's end → the
// process is gone; wall: spawn → exit. Medians per route.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bundle, imageFlags, median, node24 } from "../lib.js";
import { immediateRoutes } from "../immediate.js";
const { smtpCfg: cfgS, brevoCfg: cfgB, close } = await immediateRoutes("bench_tl");
const hook = join(mkdtempSync(join(tmpdir(), "mailprobe-tl-")), "boot.mjs");
writeFileSync(hook, "process.stderr.write(`@@boot ${performance.now()}\\n`);\n");
for (const [route, cfg] of [
  ["smtp", cfgS],
  ["brevo", cfgB],
] as const) {
  const rows = {
    boot: [] as number[],
    toRun: [] as number[],
    run: [] as number[],
    open: [] as number[],
    seen: [] as number[],
    after: [] as number[],
    wall: [] as number[],
  };
  for (let i = 0; i < Number(process.env.RUNS ?? 11); i++) {
    const t0 = Date.now();
    const p0 = performance.now();
    const { out, err } = await new Promise<{ out: string; err: string }>((ok) => {
      const c = spawn(node24, [...imageFlags, "--import", hook, bundle, "run", "--config", cfg, "--json"], {
        env: { ...process.env, NODE_COMPILE_CACHE: join(tmpdir(), "mailprobe-tl-cache"), MAILPROBE_LOG_LEVEL: "error" },
      });
      let o = "",
        e = "";
      c.stdout.on("data", (d: Buffer) => (o += d));
      c.stderr.on("data", (d: Buffer) => (e += d));
      c.on("exit", () => ok({ out: o, err: e }));
    });
    const wall = performance.now() - p0;
    if (i === 0) continue; // compile cache warm-up
    const p = JSON.parse(out).probes[0];
    const started = Date.parse(p.startedAt) - t0;
    const boot = Number(/@@boot ([\d.]+)/.exec(err)![1]);
    rows.boot.push(boot);
    rows.toRun.push(started - boot);
    rows.run.push(p.durationSeconds * 1000);
    rows.open.push(p.paths[0].openSeconds * 1000);
    rows.seen.push(p.paths[0].roundtripSeconds * 1000);
    rows.after.push(wall - started - p.durationSeconds * 1000);
    rows.wall.push(wall);
  }
  console.log(
    route,
    Object.entries(rows)
      .map(([k, v]) => `${k} ${median(v).toFixed(0)}`)
      .join(" | "),
  );
}
close();
