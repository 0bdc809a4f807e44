// 8. Scale within one process (issue 23): one `mailprobe run` of 1, 10 and 50 probes of two paths each,
// each probe on its own lab mailbox (scale01..50@lab.test, the Brevo route), both paths through a
// counting IMAPS relay of ours in front of Dovecot's stock listener (test/helpers/session-counter.ts).
// Per size: wall time, peak RSS (as the image runs it), the most IMAP sessions open at once, the calls
// to the (fake) Brevo API, and the growth of each per added probe.
import { loadavg } from "node:os";
import { addr, brevoConfig, imageFlags, median, ms, N, port, Report, table } from "./lib.js";
import { run24, warmCompileCache } from "./verdict.js";
import { scaleAccounts } from "../test/lab/topology.js";
import { sessionCounter } from "../test/helpers/session-counter.js";

const SIZES = [1, 10, 50] as const;
const RUNS = Math.min(N, 3);
const TIMEOUT_S = 60;

export function config(n: number, relayPort: number): string {
  return brevoConfig(`scale_${n}`, (base, c) => {
    delete base.relayCheck;
    c.probes = scaleAccounts.slice(0, n).map((a, i) => ({
      ...base,
      name: `scale_${n}_${i + 1}`,
      timeoutSeconds: TIMEOUT_S,
      to: a.user,
      imap: { ...base.imap, user: a.user, password: a.password },
      paths: ["a", "b"].map((name) => ({ name, host: addr.listen, port: relayPort })),
    }));
  });
}

/** "(imap_connect ×12, not_delivered ×3)" over all runs of a size, or nothing. */
function reasonText(reasons: string[]): string {
  const by = new Map<string, number>();
  for (const r of reasons) by.set(r, (by.get(r) ?? 0) + 1);
  return by.size ? ` (all runs: ${[...by].map(([r, k]) => `${r} ×${k}`).join(", ")})` : "";
}

async function brevoRequests(sinceMs: number): Promise<number> {
  const all = (await (await fetch(`http://${addr.listen}:${port.fakeBrevo}/__lab/requests`)).json()) as { path: string; at: number }[];
  return all.filter((r) => r.at >= sinceMs && !r.path.startsWith("/__lab/")).length;
}

interface Sample {
  wallMs: number;
  rssMiB: number;
  sessions: number;
  brevo: number;
  failed: number;
  reasons: string[];
}

export async function scaleProbes(report: Report): Promise<void> {
  const load = () =>
    loadavg()
      .map((x) => x.toFixed(2))
      .join(" / ");
  const loadAtStart = load();
  warmCompileCache();
  const relay = await sessionCounter(port.imapsStock);
  const rows: (string | number)[][] = [];
  const med: Record<number, Sample> = {};
  try {
    for (const n of SIZES) {
      const cfg = config(n, relay.port);
      const samples: Sample[] = [];
      for (let i = 0; i < RUNS; i++) {
        relay.reset();
        const t0 = Date.now();
        const r = await run24(cfg);
        const paths = (r.json?.probes ?? []).flatMap((p: any) => p.paths);
        samples.push({
          wallMs: r.ms,
          rssMiB: r.rssKiB / 1024,
          sessions: relay.max(),
          brevo: await brevoRequests(t0),
          failed: paths.filter((p: any) => !p.ok).length,
          reasons: paths.filter((p: any) => !p.ok).map((p: any) => p.reason),
        });
        process.stdout.write(
          `scale ${n}: run ${i + 1}/${RUNS} ${Math.round(r.ms)} ms, ${samples.at(-1)!.sessions} sessions at once, ${samples.at(-1)!.failed} paths failed\n`,
        );
      }
      const m = (k: Exclude<keyof Sample, "reasons">) => median(samples.map((s) => s[k]));
      med[n] = {
        wallMs: m("wallMs"),
        rssMiB: m("rssMiB"),
        sessions: m("sessions"),
        brevo: m("brevo"),
        failed: Math.max(...samples.map((s) => s.failed)),
        reasons: samples.flatMap((s) => s.reasons),
      };
      rows.push([
        n,
        2 * n,
        ms(med[n].wallMs),
        `${med[n].rssMiB.toFixed(1)} MiB`,
        med[n].sessions,
        med[n].brevo,
        `${med[n].failed}${reasonText(med[n].reasons)}`,
      ]);
    }
  } finally {
    await relay.close();
  }
  const grow = (k: Exclude<keyof Sample, "reasons">, from: number, to: number) => (med[to]![k] - med[from]![k]) / (to - from);
  const growth: (string | number)[][] = [
    ["1 → 10", ms(grow("wallMs", 1, 10)), `${grow("rssMiB", 1, 10).toFixed(2)} MiB`, grow("sessions", 1, 10).toFixed(2), grow("brevo", 1, 10).toFixed(2)],
    ["10 → 50", ms(grow("wallMs", 10, 50)), `${grow("rssMiB", 10, 50).toFixed(2)} MiB`, grow("sessions", 10, 50).toFixed(2), grow("brevo", 10, 50).toFixed(2)],
  ];
  report.add("8. Scale within one process (issue 23)", [
    `One \`mailprobe run --json\` (Node 24 as the image runs it: the bundle, \`${imageFlags.join(" ")}\`, a compile cache written beforehand) of 1, 10 and 50 probes, each with two paths on its own lab mailbox (scale01…50@lab.test, one login each; the Brevo route through the fake Brevo, HAProxy, postscreen and Rspamd; \`timeoutSeconds: ${TIMEOUT_S}\`), both paths through a counting IMAPS relay of ours in front of Dovecot's stock listener; \`imapSessionsPerUser\` at its default (4). Median of ${RUNS} runs per size; "failed" is the most failed paths in any run. Load average (1 / 5 / 15 min) at the start: ${loadAtStart}, at the end: ${load()}.`,
    "",
    ...table(["probes", "paths", "wall", "peak RSS", "IMAP sessions at once", "Brevo API calls", "failed paths"], rows),
    "",
    "Growth per added probe:",
    "",
    ...table(["probes", "wall", "peak RSS", "sessions at once", "Brevo calls"], growth),
  ]);
}
