// The state `watch` keeps across cycles: per path its current state, streak, last change, the
// transitions between states, and the figures of the final summary. Pure: results in, views out.
import type { ProbeResult } from "../core/result.js";
import { verdictPhrase } from "../render/verdict.js";

/** A path's health in watch (named apart from the run's per-path state, probe/state.ts PathState). */
export type PathHealth = "OK" | "FAIL";

export interface Outage {
  fromMs: number;
  /** The first healthy cycle after it; absent while it lasts. */
  toMs?: number;
  reason: string;
}

export interface PathView {
  /** `path`, or `probe/path` when several probes are watched. */
  label: string;
  probe: string;
  path: string;
  state: PathHealth;
  /** One short phrase: the verdict when OK, the reason and its evidence when failing. */
  verdict: string;
  lastRoundtripSeconds?: number;
  clientIp?: string;
  /** Consecutive cycles in the current state. */
  streak: number;
  lastChangeMs: number;
  runs: number;
  oks: number;
  roundtrips: number[];
  outages: Outage[];
}

export interface Transition {
  atMs: number;
  label: string;
  from: PathHealth;
  to: PathHealth;
  verdict: string;
  /** "external: OK → FAIL real_ip_forbidden 127.0.0.9 in 127.0.0.9/32" */
  text: string;
}

export interface PathSummary {
  label: string;
  runs: number;
  availabilityPercent: number;
  roundtripSeconds: { p50?: number; p95?: number; max?: number };
  outages: { from: string; to?: string; seconds: number; reason: string }[];
}

/** Nearest-rank percentile of an unsorted list. */
export function percentile(values: number[], q: number): number | undefined {
  if (!values.length) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

export class WatchTracker {
  private readonly paths = new Map<string, PathView>();
  private readonly multiProbe: boolean;

  constructor(probes: { name: string; paths: { name: string }[] }[], startMs: number) {
    this.multiProbe = probes.length > 1;
    for (const pr of probes) {
      for (const p of pr.paths) {
        const label = this.multiProbe ? `${pr.name}/${p.name}` : p.name;
        this.paths.set(`${pr.name}\0${p.name}`, {
          label,
          probe: pr.name,
          path: p.name,
          state: "OK",
          verdict: "waiting for the first cycle",
          streak: 0,
          lastChangeMs: startMs,
          runs: 0,
          oks: 0,
          roundtrips: [],
          outages: [],
        });
      }
    }
  }

  /** Takes one cycle's result; returns the state changes it caused. An aborted cycle counts for nothing. */
  observe(result: ProbeResult, atMs: number): Transition[] {
    if (result.aborted) return [];
    const out: Transition[] = [];
    for (const p of result.paths) {
      const v = this.paths.get(`${result.probe}\0${p.name}`);
      if (!v) continue;
      const state: PathHealth = p.ok ? "OK" : "FAIL";
      const verdict = verdictPhrase(p);
      const first = v.runs === 0;
      v.runs += 1;
      if (p.ok) {
        v.oks += 1;
        if (p.roundtripSeconds !== undefined) v.roundtrips.push(p.roundtripSeconds);
      }
      v.lastRoundtripSeconds = p.roundtripSeconds;
      v.clientIp = p.ip?.ip;
      const changed = first ? state === "FAIL" : state !== v.state;
      if (changed) {
        const from: PathHealth = first ? "OK" : v.state;
        out.push({ atMs, label: v.label, from, to: state, verdict, text: `${v.label}: ${first ? "(start)" : from} → ${state} ${verdict}` });
        v.lastChangeMs = atMs;
        v.streak = 1;
        if (state === "FAIL") v.outages.push({ fromMs: atMs, reason: verdict });
        else {
          const open = v.outages.at(-1);
          if (open && open.toMs === undefined) open.toMs = atMs;
        }
      } else {
        v.streak = first ? 1 : v.streak + 1;
        if (first) v.lastChangeMs = atMs;
      }
      v.state = state;
      v.verdict = verdict;
    }
    return out;
  }

  views(): PathView[] {
    return [...this.paths.values()];
  }

  summary(endMs: number): PathSummary[] {
    return this.views().map((v) => ({
      label: v.label,
      runs: v.runs,
      availabilityPercent: v.runs ? Math.round((v.oks / v.runs) * 1000) / 10 : 0,
      roundtripSeconds: {
        p50: percentile(v.roundtrips, 0.5),
        p95: percentile(v.roundtrips, 0.95),
        max: v.roundtrips.length ? Math.max(...v.roundtrips) : undefined,
      },
      outages: v.outages.map((o) => ({
        from: new Date(o.fromMs).toISOString(),
        ...(o.toMs !== undefined ? { to: new Date(o.toMs).toISOString() } : {}),
        seconds: Math.round(((o.toMs ?? endMs) - o.fromMs) / 100) / 10,
        reason: o.reason,
      })),
    }));
  }
}
