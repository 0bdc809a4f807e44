// watch's JSON lines (no TTY, or --json): one object per event, built here without I/O so that the
// session only decides when each is written.
import type { ResolvedProbe } from "../config/load.js";
import type { ProbeResult } from "../core/result.js";
import type { PathSummary, Transition, WatchTracker } from "./tracker.js";
import type { Budget } from "./view.js";

/** The credited sender's running count, keyed by its type, on lines of a watch that spends credits (else nothing). */
export function creditFields(creditProbes: number, creditType: string, budget: Budget): object {
  return creditProbes ? { [creditType]: { sends: budget.sends, credits: budget.credits } } : {};
}

export function startLine(startMs: number, everyMs: number, probes: ResolvedProbe[], budget: Budget): object {
  return {
    event: "start",
    at: new Date(startMs).toISOString(),
    everySeconds: everyMs / 1000,
    probes: probes.map((p) => ({ probe: p.name, sender: p.sender.type, paths: p.paths.map((x) => x.name) })),
    credits: budget.credits,
  };
}

export function transitionLine(t: Transition): object {
  return { event: "transition", at: new Date(t.atMs).toISOString(), path: t.label, from: t.from, to: t.to, verdict: t.verdict, text: t.text };
}

/** One probe's result in a cycle; each path carries the verdict the tracker holds for it now. */
export function cycleLine(r: ProbeResult, cycle: number, atMs: number, tracker: WatchTracker, credits: object): object {
  return {
    event: "cycle",
    cycle,
    at: new Date(atMs).toISOString(),
    probe: r.probe,
    token: r.token,
    ok: r.ok,
    aborted: r.aborted,
    seconds: r.durationSeconds,
    send: { type: r.send.type, ok: r.send.ok, reason: r.send.reason },
    paths: r.paths.map((p) => ({
      name: p.name,
      ok: p.ok,
      reason: p.reason,
      roundtripSeconds: p.roundtripSeconds,
      clientIp: p.ip?.ip,
      verdict: tracker.views().find((v) => v.probe === r.probe && v.path === p.name)?.verdict,
    })),
    ...(r.diagnosis ? { diagnosis: r.diagnosis.code } : {}),
    ...(r.pathSplit ? { pathSplit: r.pathSplit } : {}),
    cleanup: r.cleanup,
    ...(r.warnings?.length ? { warnings: r.warnings } : {}),
    ...credits,
  };
}

export function summaryLine(endMs: number, startMs: number, cycles: number, summary: PathSummary[], credits: object): object {
  return {
    event: "summary",
    at: new Date(endMs).toISOString(),
    cycles,
    seconds: Math.round((endMs - startMs) / 100) / 10,
    paths: summary,
    ...credits,
  };
}
