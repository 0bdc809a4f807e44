// 5. Cost: cold start to the first network byte (bundle vs the unbundled tree vs bare Node, on Node
//    20 and 24), peak RSS of a run, serve's RSS over 100 cycles, the production install's weight.
import { spawn, execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { labConfig, repoRoot } from "../test/helpers/cli.js";
import { addr, brevoConfig, bundle, median, ms, N, node24, port, ratio, Report, smtpConfig, table, timed, unbundled } from "./lib.js";

/** Spawn → the first TCP connection accepted by a listener standing in for the IMAP server. */
async function firstByte(cmd: string, args: (p: number) => string[]): Promise<number> {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, addr.listen, r));
  const p = (server.address() as { port: number }).port;
  try {
    return await new Promise<number>((resolve, reject) => {
      const t0 = performance.now();
      const child = spawn(cmd, args(p), { stdio: "ignore" });
      server.once("connection", () => {
        resolve(performance.now() - t0);
        child.kill("SIGKILL");
      });
      child.once("error", reject);
    });
  } finally {
    server.close();
  }
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? NaN);
}

export async function cost(report: Report): Promise<void> {
  // Cold start: a config whose only path is the stand-in listener; the first connect is the first byte.
  const startRows: (string | number)[][] = [];
  for (const [label, bin] of [
    ["Node 20", process.execPath],
    ["Node 24", node24],
  ] as const) {
    const bare: number[] = [];
    const bun: number[] = [];
    const tree: number[] = [];
    for (let i = 0; i < N; i++) {
      bare.push(await firstByte(bin, (p) => ["-e", `require("net").connect(${p}, "${addr.listen}")`]));
      for (const [entry, into] of [
        [bundle, bun],
        [unbundled, tree],
      ] as const) {
        into.push(
          await firstByte(bin, (p) => {
            const cfg = labConfig((c) => {
              delete c.pushgateway;
              delete c.probes[0].kuma;
              c.probes[0].paths = [{ name: "stand-in", host: addr.listen, port: p }];
            });
            return [entry, "run", "--config", cfg];
          }),
        );
      }
    }
    startRows.push([label, ms(median(bare)), ms(median(bun)), ms(median(tree)), ratio(median(tree), median(bun))]);
  }

  // Peak RSS of one run (GNU time's maximum resident set size).
  const rssRows: (string | number)[][] = [];
  for (const [route, cfg] of [
    ["Brevo API", brevoConfig("bench_rss_brevo")],
    ["SMTP", smtpConfig("bench_rss_smtp")],
  ] as const) {
    for (const [label, entry] of [
      ["bundle", bundle],
      ["unbundled", unbundled],
    ] as const) {
      const peaks: number[] = [];
      for (let i = 0; i < Math.min(N, 5); i++) {
        const r = await timed("/usr/bin/time", ["-f", "%M", process.execPath, entry, "run", "--config", cfg, "--json"], { MAILPROBE_LOG_LEVEL: "error" });
        peaks.push(Number(r.stderr.trim().split("\n").at(-1)));
      }
      rssRows.push([route, label, `${(median(peaks) / 1024).toFixed(1)} MB`]);
    }
  }

  // serve: one cycle a second. RSS and V8's used heap are sampled after each of the first 100 cycles;
  // the heap is a sawtooth (it grows until a major GC), so the live heap is then read right after a
  // heap snapshot (--heapsnapshot-signal: a snapshot starts with a full GC) at cycles 100, 140 and
  // 180. Snapshots keep memory of their own mapped, so RSS is only reported before the first.
  const serveCfg = labConfig((c) => {
    delete c.pushgateway;
    c.serve = { listen: addr.listen, port: port.serveMetrics, schedule: "* * * * * *" };
    c.probes[0].name = "bench_serve";
    delete c.probes[0].kuma;
    for (const p of c.probes[0].paths) delete p.kuma;
  });
  const snapDir = mkdtempSync(join(tmpdir(), "mailprobe-heap-"));
  const child = spawn(process.execPath, ["--heapsnapshot-signal=SIGUSR2", bundle, "serve", "--config", serveCfg], {
    cwd: snapDir,
    stdio: "ignore",
    env: { ...process.env, MAILPROBE_LOG_LEVEL: "error" },
  });
  const samples: { cycle: number; rssMb: number; heapMb: number }[] = [];
  const live: [number, number][] = [];
  try {
    const scrape = async () => {
      try {
        const text = await (await fetch(`http://${addr.listen}:${port.serveMetrics}/metrics`)).text();
        const value = (prefix: string) => {
          const line = text.split("\n").find((l) => l.startsWith(prefix));
          return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : NaN;
        };
        return {
          cycle: value('mailprobe_runs_total{probe="bench_serve",path="internal",result="success"}'),
          heapMb: value("nodejs_heap_size_used_bytes") / 2 ** 20,
        };
      } catch {
        return { cycle: NaN, heapMb: NaN };
      }
    };
    const deadline = Date.now() + 600_000;
    let last = 0;
    while (last < 180 && Date.now() < deadline) {
      const m = await scrape();
      if (m.cycle > last) {
        last = m.cycle;
        if (m.cycle <= 100) samples.push({ cycle: m.cycle, rssMb: rssKb(child.pid!) / 1024, heapMb: m.heapMb });
        if (m.cycle >= 100 + live.length * 40) {
          const before = readdirSync(snapDir).length;
          child.kill("SIGUSR2");
          // The snapshot is written synchronously by the process: once its file is there and the
          // process answers again, the heap is fresh from a full GC.
          while (readdirSync(snapDir).length === before) await new Promise((r) => setTimeout(r, 100));
          await scrape();
          live.push([m.cycle, (await scrape()).heapMb]);
          for (const f of readdirSync(snapDir)) rmSync(join(snapDir, f), { force: true });
        }
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    child.kill("SIGTERM");
  }
  const windows = [0, 20, 40, 60, 80].map((from) => samples.filter((x) => x.cycle > from && x.cycle <= from + 20));
  const winRows = windows.map((w, i) => [
    `${i * 20 + 1}–${i * 20 + 20}`,
    `${Math.min(...w.map((x) => x.heapMb)).toFixed(1)} MB`,
    `${Math.max(...w.map((x) => x.heapMb)).toFixed(1)} MB`,
    `${Math.min(...w.map((x) => x.rssMb)).toFixed(1)} MB`,
    `${Math.max(...w.map((x) => x.rssMb)).toFixed(1)} MB`,
  ]);
  const heapTrend = live.length >= 2 ? (live.at(-1)![1] - live[0]![1]) / (live.at(-1)![0] - live[0]![0]) : NaN;

  // The production install (what the image's production stage ships) and the bundle.
  const app = mkdtempSync(join(tmpdir(), "mailprobe-prod-"));
  for (const f of ["package.json", "package-lock.json"]) cpSync(join(repoRoot, f), join(app, f));
  execFileSync("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: app });
  // Every library is inside the bundle (issue 21): a production install may have no node_modules at all.
  const kb = (dir: string) => (existsSync(dir) ? Number(execFileSync("du", ["-sk", dir], { encoding: "utf8" }).split("\t")[0]) : 0);
  const pkgs = existsSync(join(app, "node_modules"))
    ? readdirSync(join(app, "node_modules"), { recursive: true, withFileTypes: true }).filter(
        (d) => d.isFile() && d.name === "package.json" && /node_modules\/(@[^/]+\/)?[^/]+$/.test(d.parentPath),
      ).length
    : 0;
  const direct = Object.keys(JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).dependencies ?? {}).length;

  report.add("5. Cost", [
    `Cold start to the first network byte: spawn → the first TCP connect to a stand-in IMAP listener (median of ${N}). "bare Node" is \`node -e 'net.connect()'\`.`,
    "",
    ...table(["Node", "bare Node", "mailprobe (bundle, shipped)", "mailprobe (unbundled dist/)", "unbundled ÷ bundle"], startRows),
    "",
    `Peak RSS of one \`mailprobe run\` on the lab (GNU time, median of ${Math.min(N, 5)}, Node ${process.version}):`,
    "",
    ...table(["route", "entry point", "peak RSS"], rssRows),
    "",
    `\`mailprobe serve\` (bundle, Node ${process.version}), one cycle a second; per 20-cycle window of the first 100 the used V8 heap and the RSS (the heap is a sawtooth between major GCs). Live heap after a full GC (heap snapshot): ${live.map(([c, h]) => `cycle ${c}: ${h.toFixed(1)} MB`).join(", ")}; trend ${(heapTrend * 1024).toFixed(1)} KB per cycle.`,
    "",
    ...table(["cycles", "heap min", "heap max", "RSS min", "RSS max"], winRows),
    "",
    `Production install (\`npm ci --omit=dev\`): ${(kb(join(app, "node_modules")) / 1024).toFixed(1)} MB in node_modules, ${pkgs} packages (${direct} direct). The bundle (dist/bundle): ${(kb(join(repoRoot, "dist", "bundle")) / 1024).toFixed(1)} MB.`,
  ]);
}
