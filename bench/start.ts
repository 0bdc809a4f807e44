// 0. Start-up (issue 23): `mailprobe validate`, `--version` and `--help` against a bare `node -e 0`
//    on Node 24, compile cache warm, alternating whole-process rounds; then where validate's time
//    goes (`--cpu-prof`, self time summarised by module and by step).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { labConfig } from "../test/helpers/cli.js";
import { bundle, median, ms, N, node24, quantile, Report, table, timed } from "./lib.js";

interface Sample {
  wallMs: number;
  cpuMs: number;
  rssKiB: number;
}

/** One whole process under GNU time: wall from spawn to exit, its CPU (user + sys) and peak RSS. */
async function sample(args: string[], env: NodeJS.ProcessEnv): Promise<Sample> {
  const r = await timed("/usr/bin/time", ["-f", "@@%U %S %M", node24, ...args], env);
  const m = /@@([\d.]+) ([\d.]+) (\d+)/.exec(r.stderr);
  if (!m || (r.code !== 0 && !args.includes("-e"))) throw new Error(`start bench: ${args.join(" ")} exited ${r.code}: ${r.stderr.slice(0, 500)}`);
  return { wallMs: r.ms, cpuMs: (Number(m[1]) + Number(m[2])) * 1000, rssKiB: Number(m[3]) };
}

/** The step a profile node's self time belongs to. */
function step(url: string, fn: string, chunks: Map<string, string>): string {
  if (fn === "(garbage collector)") return "GC";
  if (fn === "(program)" || fn === "(idle)" || fn === "(root)") return "V8/native (program)";
  if (!url) return `native: ${fn}`;
  if (url.startsWith("node:internal/modules") || url.startsWith("node:internal/vm")) return "Node: module loader";
  if (url.startsWith("node:internal/bootstrap") || url.startsWith("node:internal/main") || url.startsWith("node:internal/process")) return "Node: bootstrap";
  if (url.startsWith("node:")) return `Node built-in: ${url.replace(/^node:(internal\/)?/, "").split("/")[0]}`;
  const file = url.replace(/^.*\/dist\/bundle\//, "");
  return chunks.get(file) ?? file;
}

/** A bundle chunk's name by what is in it: the package (or src/ folder) contributing most sources. */
function chunkNames(dir: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const f of readdirSync(dir).filter((x) => x.endsWith(".js"))) {
    try {
      const map = JSON.parse(readFileSync(join(dir, `${f}.map`), "utf8")) as { sources: string[] };
      const counts = new Map<string, number>();
      for (const s of map.sources) {
        const k = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(s)?.[1] ?? `src/${/src\/([^/]+)/.exec(s)?.[1] ?? "?"}`;
        counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      const top = [...counts].sort((a, b) => b[1] - a[1]).map(([k]) => k);
      names.set(f, top.length ? `code: ${top.slice(0, 2).join(" + ")}${top.length > 2 ? " …" : ""}` : `code: ${f}`);
    } catch {
      names.set(f, `code: ${f}`);
    }
  }
  return names;
}

/** Self time of `runs` profiled validates, by step, in ms per run. */
async function profile(args: string[], env: NodeJS.ProcessEnv, runs: number): Promise<{ total: number; steps: [string, number][] }> {
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-prof-"));
  const chunks = chunkNames(join(bundle, ".."));
  const byStep = new Map<string, number>();
  let total = 0;
  try {
    for (let i = 0; i < runs; i++) await timed(node24, ["--cpu-prof", "--cpu-prof-dir", dir, ...args], env);
    for (const f of readdirSync(dir)) {
      const p = JSON.parse(readFileSync(join(dir, f), "utf8")) as {
        nodes: { id: number; callFrame: { url: string; functionName: string } }[];
        samples: number[];
        timeDeltas: number[];
      };
      const nodes = new Map(p.nodes.map((n) => [n.id, n]));
      p.samples.forEach((id, i) => {
        const n = nodes.get(id)!;
        const s = step(n.callFrame.url, n.callFrame.functionName, chunks);
        const us = p.timeDeltas[i] ?? 0;
        byStep.set(s, (byStep.get(s) ?? 0) + us);
        total += us;
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const per = (us: number) => us / 1000 / runs;
  return { total: per(total), steps: [...byStep].map(([k, v]) => [k, per(v)] as [string, number]).sort((a, b) => b[1] - a[1]) };
}

export async function start(report: Report): Promise<void> {
  const cache = mkdtempSync(join(tmpdir(), "mailprobe-cc-"));
  const env = { NODE_COMPILE_CACHE: cache };
  const cfg = labConfig();
  const cases: [string, string[]][] = [
    ["node -e 0 (bare Node)", ["-e", "0"]],
    ["mailprobe --version", [bundle, "--version"]],
    ["mailprobe --help", [bundle, "--help"]],
    ["mailprobe validate (the lab's config)", [bundle, "validate", "--config", cfg]],
  ];
  const rounds = Math.max(N, 15);
  const got = cases.map(() => [] as Sample[]);
  try {
    for (const [, args] of cases) await sample(args, env); // fills the compile cache
    for (let i = 0; i < rounds; i++) for (const [k, [, args]] of cases.entries()) got[k]!.push(await sample(args, env));
    const prof = await profile(cases[3]![1], env, 5);
    const bare = got[0]!;
    // Ratio per round (each command against the bare start of the same round), then the median.
    const perRound = (xs: Sample[], f: (s: Sample) => number) => median(xs.map((s, i) => f(s) / f(bare[i]!)));
    const rows = cases.map(([label], k) => {
      const xs = got[k]!;
      return [
        label,
        ms(median(xs.map((s) => s.wallMs))),
        ms(
          quantile(
            xs.map((s) => s.wallMs),
            0.9,
          ),
        ),
        `${perRound(xs, (s) => s.wallMs).toFixed(2)}×`,
        ms(median(xs.map((s) => s.cpuMs))),
        `${perRound(xs, (s) => s.cpuMs).toFixed(2)}×`,
        `${(median(xs.map((s) => s.rssKiB)) / 1024).toFixed(1)} MiB`,
      ];
    });
    const small = prof.steps.filter(([, v]) => v < 2);
    const shown: [string, number][] = [
      ...prof.steps.filter(([, v]) => v >= 2),
      [`the rest (${small.length} steps under 2 ms each)`, small.reduce((a, [, v]) => a + v, 0)],
    ];
    report.add("0. Start-up (issue 23)", [
      `Node 24, the bundle, compile cache warm (\`NODE_COMPILE_CACHE\`, filled by one run of each first); ${rounds} rounds, each running the four commands one after the other under \`/usr/bin/time\`. The ratios are the median of each round's ratio to that round's bare start (targets: validate ≤ 2×, --version and --help ≤ 1.3×). CPU is user + sys of the process: on a shared machine it moves less than the wall time.`,
      "",
      ...table(["command", "wall median", "wall p90", "÷ bare (wall)", "CPU median", "÷ bare (CPU)", "peak RSS"], rows),
      "",
      `Where validate's time goes: \`--cpu-prof\` of 5 runs (the profiler itself slows it), self time per run by step, ${ms(prof.total)} in all; "code: X" is a bundle chunk named by the packages (or src/ folders) it holds most of.`,
      "",
      ...table(
        ["step", "ms per run", "share"],
        shown.map(([k, v]) => [k, v.toFixed(1), `${((100 * v) / prof.total).toFixed(0)} %`]),
      ),
    ]);
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}
