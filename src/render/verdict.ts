// The one place that phrases a path's verdict from its evidence. Three lengths of the same phrase:
// the run table's last column, watch's state phrase, and a Kuma message (bounded by Kuma's field).
import type { PathResult, ProbeResult } from "../core/result.js";

/** Kuma's message field is short: longer messages are cut. */
export const MAX_KUMA_MSG = 200;

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();

/** The run table's VERDICT / REASON column. */
export function verdictRow(p: PathResult): string {
  if (p.ok) return p.ip ? (p.ip.rule ?? "ok") : "ok (no Received rules)";
  return `${p.reason}: ${p.detail ?? ""}`;
}

/** Watch's phrase: the verdict when OK, the reason and its evidence when failing. */
export function verdictPhrase(p: PathResult): string {
  if (p.ok) return p.ip?.ip ? `ok ${p.ip.ip}${p.ip.rule ? ` (${p.ip.rule})` : ""}` : "ok";
  const ip = p.ip;
  if (ip && !ip.ok && (p.reason === ip.reason || !p.reason)) {
    // The evidence as data: the range that matched, not a rule string taken apart.
    if (ip.reason === "real_ip_forbidden" && ip.match) return `real_ip_forbidden ${ip.ip} in ${ip.match.cidr}`;
    return oneLine(`${ip.reason} ${ip.ip ?? ""} ${ip.rule ?? ""}`);
  }
  const detail = oneLine(p.detail ?? "");
  return `${p.reason ?? "failed"}${detail ? ` ${detail.length > 90 ? detail.slice(0, 89) + "…" : detail}` : ""}`;
}

/** A Kuma push message for one path. */
export function verdictMessage(p: PathResult): string {
  if (p.ok) return `OK ${p.roundtripSeconds?.toFixed(2)} s${p.ip?.ip ? `, client ${p.ip.ip}` : ""}`;
  return `FAIL ${p.reason}${p.detail ? `: ${p.detail}` : ""}`.slice(0, MAX_KUMA_MSG);
}

/** A Kuma push message for a whole probe. */
export function probeMessage(r: ProbeResult): string {
  return (
    (r.ok ? "OK " : "FAIL ") +
    r.paths
      .map((p) => `${p.name} ${p.ok ? `${p.roundtripSeconds?.toFixed(2)} s` : p.reason}`)
      .join(", ")
      .slice(0, MAX_KUMA_MSG)
  );
}
