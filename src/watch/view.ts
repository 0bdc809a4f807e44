// watch's two screens: the live block (one row per path, redrawn in place) and the summary.
import { paint, table } from "../render/text.js";
import type { SenderModule } from "../core/sender.js";
import { formatDuration } from "./budget.js";
import type { PathSummary, PathView } from "./tracker.js";

export interface Budget {
  sends: number;
  credits?: number;
  checkedAtMs: number;
}

export const hhmmss = (ms: number) => new Date(ms).toISOString().slice(11, 19);
export const secs = (s: number | undefined) => (s === undefined ? "-" : `${s.toFixed(2)} s`);

export function liveBlock(o: {
  views: PathView[];
  cycle: number;
  running: boolean;
  nextInMs?: number;
  everyMs: number;
  budget: Budget;
  credits?: SenderModule;
  color: boolean;
  width: number;
}): string[] {
  const c = paint(o.color).sgr;
  const status = o.running ? "running…" : o.nextInMs !== undefined ? `next in ${Math.ceil(o.nextInMs / 1000)}s` : "";
  const credits = o.credits ? `   ${o.credits.type}: ${o.budget.sends} sent, ${o.budget.credits ?? "?"} credits left` : "";
  const head = `mailprobe watch   every ${formatDuration(o.everyMs)}   cycle ${o.cycle} ${status}${credits}   (Ctrl-C for the summary)`;
  const rows = [["PATH", "STATE", "ROUNDTRIP", "CLIENT IP", "STREAK", "SINCE", "VERDICT"]];
  for (const v of o.views)
    rows.push([v.label, v.runs ? v.state : "…", secs(v.lastRoundtripSeconds), v.clientIp ?? "-", String(v.streak), hhmmss(v.lastChangeMs), v.verdict]);
  const lines = [head, ...table(rows)].map((l) => (l.length >= o.width ? l.slice(0, o.width - 2) + "…" : l));
  // Each path row is coloured by its view's state, not by what the rendered text happens to hold.
  const colour = (v: PathView | undefined) => (!v?.runs ? undefined : v.state === "FAIL" ? "31;1" : v.state === "OK" ? "32" : undefined);
  return lines.map((l, i) => {
    const sgr = i === 0 ? "1" : i === 1 ? "2" : colour(o.views[i - 2]);
    return sgr ? c(sgr, l) : l;
  });
}

export function summaryText(s: PathSummary[], o: { cycles: number; elapsedMs: number; budget: Budget; credits?: SenderModule }): string {
  const rows = [["PATH", "RUNS", "AVAILABILITY", "P50", "P95", "MAX", "OUTAGES"]];
  for (const p of s)
    rows.push([
      p.label,
      String(p.runs),
      `${p.availabilityPercent.toFixed(1)} %`,
      secs(p.roundtripSeconds.p50),
      secs(p.roundtripSeconds.p95),
      secs(p.roundtripSeconds.max),
      String(p.outages.length),
    ]);
  const out = [`watch summary: ${o.cycles} cycle${o.cycles === 1 ? "" : "s"} in ${formatDuration(o.elapsedMs)}`, ...table(rows).map((l) => `  ${l}`)];
  for (const p of s) {
    for (const w of p.outages)
      out.push(`  ${p.label} outage ${w.from.slice(11, 19)} → ${w.to ? w.to.slice(11, 19) : "still failing"} (${w.seconds} s): ${w.reason}`);
  }
  if (o.credits)
    out.push(`  ${o.credits.type}: ${o.budget.sends} mail${o.budget.sends === 1 ? "" : "s"} sent by this watch, ${o.budget.credits ?? "?"} credits left`);
  return out.join("\n") + "\n";
}
