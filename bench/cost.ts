// 5. Cost: cold start to the first network byte (bundle vs the unbundled tree vs bare Node, on Node
//    20 and 24), peak RSS of a run, serve's RSS over 100 cycles, the production install's weight.
import { spawn, execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
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
  for (const [label, bin] of [["Node 20", process.execPath], ["Node 24", node24]] as const) {
    const bare: number[] = [];
    const bun: number[] = [];
    const tree: number[] = [];
    for (let i = 0; i < N; i++) {
      bare.push(await firstByte(bin, (p) => ["-e", `require("net").connect(${p}, "${addr.listen}")`]));
      for (const [entry, into] of [[bundle, bun], [unbundled, tree]] as const) {
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
  for (const [route, cfg] of [["Brevo API", brevoConfig("bench_rss_brevo")], ["SMTP", smtpConfig("bench_rss_smtp")]] as const) {
    for (const [label, entry] of [["bundle", bundle], ["unbundled", unbundled]] as const) {
      const peaks: number[] = [];
      for (let i = 0; i < Math.min(N, 5); i++) {
        const r = await timed("/usr/bin/time", ["-f", "%M", process.execPath, entry, "run", "--config", cfg, "--json"], { MAILPROBE_LOG_LEVEL: "error" });
        peaks.push(Number(r.stderr.trim().split("\n").at(-1)));
      }
      rssRows.push([route, label, `${(median(peaks) / 1024).toFixed(1)} MB`]);
    }
  }

  // serve: 100 cycles, one a second; RSS sampled every 10 cycles.
  const serveCfg = labConfig((c) => {
    delete c.pushgateway;
    c.serve = { listen: addr.listen, port: port.serveMetrics, schedule: "* * * * * *" };
    c.probes[0].name = "bench_serve";
    delete c.probes[0].kuma;
    for (const p of c.probes[0].paths) delete p.kuma;
  });
  const child = spawn(process.execPath, [bundle, "serve", "--config", serveCfg], { stdio: "ignore", env: { ...process.env, MAILPROBE_LOG_LEVEL: "error" } });
  const samples: [number, number][] = [];
  try {
    const runs = async () => {
      try {
        const text = await (await fetch(`http://${addr.listen}:${port.serveMetrics}/metrics`)).text();
        const line = text.split("\n").find((l) => l.startsWith("mailprobe_runs_total{") && l.includes('path="internal"') && l.includes('result="success"'));
        return line ? Number(line.slice(line.lastIndexOf(" ") + 1)) : 0;
      } catch {
        return 0;
      }
    };
    let next = 10;
    const deadline = Date.now() + 400_000;
    while (next <= 100 && Date.now() < deadline) {
      if ((await runs()) >= next) {
        samples.push([next, rssKb(child.pid!)]);
        next += 10;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    child.kill("SIGTERM");
  }
  const secondHalf = samples.filter(([c]) => c >= 50).map(([, kb]) => kb);
  const trend = secondHalf.length > 1 ? (secondHalf.at(-1)! - secondHalf[0]!) / 1024 / ((secondHalf.length - 1) * 10) : NaN;

  // The production install (what the image's production stage ships) and the bundle.
  const app = mkdtempSync(join(tmpdir(), "mailprobe-prod-"));
  for (const f of ["package.json", "package-lock.json"]) cpSync(join(repoRoot, f), join(app, f));
  execFileSync("npm", ["ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: app });
  const kb = (dir: string) => Number(execFileSync("du", ["-sk", dir], { encoding: "utf8" }).split("\t")[0]);
  const pkgs = readdirSync(join(app, "node_modules"), { recursive: true, withFileTypes: true }).filter((d) => d.isFile() && d.name === "package.json" && /node_modules\/(@[^/]+\/)?[^/]+$/.test(d.parentPath)).length;
  const direct = Object.keys(JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).dependencies).length;

  report.add("5. Cost", [
    `Cold start to the first network byte: spawn → the first TCP connect to a stand-in IMAP listener (median of ${N}). "bare Node" is \`node -e 'net.connect()'\`.`,
    "",
    ...table(["Node", "bare Node", "mailprobe (bundle, shipped)", "mailprobe (unbundled dist/)", "unbundled ÷ bundle"], startRows),
    "",
    `Peak RSS of one \`mailprobe run\` on the lab (GNU time, median of ${Math.min(N, 5)}, Node ${process.version}):`,
    "",
    ...table(["route", "entry point", "peak RSS"], rssRows),
    "",
    `\`mailprobe serve\` (bundle), one cycle a second, RSS every 10 cycles: ${samples.map(([c, k]) => `${c}: ${(k / 1024).toFixed(1)} MB`).join(", ")}; trend over cycles 50–100: ${trend.toFixed(3)} MB per cycle.`,
    "",
    `Production install (\`npm ci --omit=dev\`): ${(kb(join(app, "node_modules")) / 1024).toFixed(1)} MB in node_modules, ${pkgs} packages (${direct} direct). The bundle (dist/bundle): ${(kb(join(repoRoot, "dist", "bundle")) / 1024).toFixed(1)} MB.`,
  ]);
}
