// The one place that phrases a path's verdict from its evidence. Three lengths of the same phrase:
// the run table's last column, watch's state phrase, and a Kuma message (bounded by Kuma's field).
import { authPhrase } from "../checks/auth-verdict.js";
import type { PathResult, ProbeResult, RelayResult } from "../core/result.js";

/** Kuma's message field is short: longer messages are cut. */
export const MAX_KUMA_MSG = 200;

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();

/** What the MX made of the message: `spf=pass dkim=pass (d, aligned) dmarc=pass, score -0.60[, no TLS]`. */
export function mxPhrase(p: PathResult): string | undefined {
  const parts = [
    p.authResults && authPhrase(p.authResults),
    p.spam && `score ${p.spam.score.toFixed(2)}`,
    p.entryTls?.tls === false && "entry hop without TLS",
  ];
  const text = parts.filter(Boolean).join(", ");
  return text || undefined;
}

/** The run table's VERDICT / REASON column. */
export function verdictRow(p: PathResult): string {
  const mx = mxPhrase(p);
  if (p.ok) return (p.ip ? (p.ip.rule ?? "ok") : "ok (no Received rules)") + (mx ? `; ${mx}` : "");
  return `${p.reason}: ${p.detail ?? ""}`;
}

/** Watch's phrase: the verdict when OK, the reason and its evidence when failing. */
export function verdictPhrase(p: PathResult): string {
  if (p.ok) {
    const mx = mxPhrase(p);
    return (p.ip?.ip ? `ok ${p.ip.ip}${p.ip.rule ? ` (${p.ip.rule})` : ""}` : "ok") + (mx ? ` ${mx}` : "");
  }
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
  if (p.ok) {
    const mx = mxPhrase(p);
    return `OK ${p.roundtripSeconds?.toFixed(2)} s${p.ip?.ip ? `, client ${p.ip.ip}` : ""}${mx ? `, ${mx}` : ""}`.slice(0, MAX_KUMA_MSG);
  }
  return `FAIL ${p.reason}${p.detail ? `: ${p.detail}` : ""}`.slice(0, MAX_KUMA_MSG);
}

/** A relay-check entry's verdict: `smtp-25 refused (554 5.7.1 …)`, `smtp-25 OPEN RELAY (250 …)`, `smtp-25 NOT CHECKED, TLS failed (…)`. */
export function relayPhrase(r: RelayResult): string {
  if (r.tlsError) return `${r.entry} NOT CHECKED, TLS failed (${oneLine(r.tlsError).slice(0, 140)})`;
  const what = r.state === "open" ? (r.from === "lan" ? "RELAYS FOR LAN" : "OPEN RELAY") : r.state === "refused" ? "refused" : "NOT CHECKED";
  const detail = r.state === "inconclusive" ? `inconclusive: ${r.detail}` : r.detail;
  return `${r.entry} ${what} (${oneLine(detail).slice(0, 80)})`;
}

/** A Kuma push message for a whole probe. */
export function probeMessage(r: ProbeResult): string {
  const open = (r.relay ?? []).filter((x) => x.state === "open").map((x) => `${x.from === "lan" ? "relays_for_lan" : "open_relay"} ${x.entry}`);
  return (
    (r.ok ? "OK " : "FAIL ") +
    [...r.paths.map((p) => `${p.name} ${p.ok ? `${p.roundtripSeconds?.toFixed(2)} s` : p.reason}`), ...open].join(", ").slice(0, MAX_KUMA_MSG)
  );
}
