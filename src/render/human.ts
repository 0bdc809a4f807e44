// Rendering of results: a human summary (one row per path) and JSON. Nothing here decides anything.
import type { ReportedResult } from "../core/result.js";
import { authPhrase } from "../checks/auth-verdict.js";
import { paint, table } from "./text.js";
import { relayPhrase, verdictRow } from "./verdict.js";

export interface RenderOptions {
  color: boolean;
}

export function renderHuman(results: ReportedResult[], o: RenderOptions): string {
  const { ok, bad, dim, warn } = paint(o.color);
  const out: string[] = [];
  for (const r of results) {
    const head = r.ok ? ok("OK  ") : bad("FAIL");
    const sent = r.send.ok
      ? `sent via ${r.send.type} in ${r.send.seconds?.toFixed(2)} s${r.send.attempts > 1 ? ` (${r.send.attempts} attempts)` : ""}`
      : `send failed: ${r.send.reason ?? "not finished (cut off by the run's deadline or an abort)"}`;
    out.push(`${head} probe ${r.probe}  ${dim(`${sent}, ${r.durationSeconds.toFixed(2)} s in all${r.aborted ? ", ABORTED" : ""}`)}`);
    const rows = [["PATH", "STATE", "ROUNDTRIP", "CLIENT IP", "VERDICT / REASON"]];
    for (const p of r.paths) {
      const verdict = verdictRow(p);
      rows.push([p.name, p.ok ? "OK" : "FAIL", p.roundtripSeconds !== undefined ? `${p.roundtripSeconds.toFixed(2)} s` : "-", p.ip?.ip ?? "-", verdict]);
    }
    table(rows).forEach((text, i) => {
      const line = "  " + text;
      out.push(i === 0 ? dim(line) : rows[i]![1] === "OK" ? line : bad(line));
    });
    const shown = new Set<string>();
    for (const p of r.paths) {
      if (p.ip && !p.ip.ok && p.ip.header && !shown.has(p.ip.header)) {
        shown.add(p.ip.header);
        out.push(`  entry hop: ${p.ip.header}`);
      }
      if (p.ip?.hint && !shown.has(p.ip.hint)) {
        shown.add(p.ip.hint);
        out.push(`  hint: ${p.ip.hint}`);
      }
      const s = p.stages;
      if (s) {
        const f = (v: number | undefined) => (v === undefined ? "-" : `${v.toFixed(3)} s`);
        out.push(dim(`  ${p.name}: stages send ${f(s.send)} · upstream ${f(s.upstream)} · mx ${f(s.mx)} (Received date, 1 s resolution) · seen ${f(s.seen)}`));
      }
      // The mailboxes as the server names them (resolved at open): `inbox` is `INBOX`, `Junk` may be `INBOX.Junk`.
      if (p.mailboxes) out.push(dim(`  ${p.name}: mailbox ${p.mailboxes.watched}, junk ${p.mailboxes.junk ?? "none"} (as the server names them)`));
      if (!p.ok && p.foundDuring === "wait" && p.reason === "landed_in_junk") out.push(dim(`  ${p.name}: found in ${p.foundIn} while waiting`));
      if (!p.ok && p.authResults) out.push(dim(`  ${p.name}: ${authPhrase(p.authResults)}${p.spam ? `, score ${p.spam.score.toFixed(2)}` : ""}`));
    }
    for (const x of r.relay ?? []) {
      const line = `  relay: ${relayPhrase(x)}`;
      out.push(x.state === "open" ? bad(line) : x.state === "refused" ? dim(line) : warn(line));
    }
    if (!r.send.ok && r.send.detail) out.push(`  send: ${r.send.detail}`);
    for (const n of r.send.notes) out.push(`  note: ${n}`);
    if (r.pathSplit) out.push(`  paths disagree: ${r.pathSplit}`);
    if (r.diagnosis) {
      const when = r.diagnosis.during === "wait" ? ", read while waiting" : "";
      out.push(`  upstream: ${r.diagnosis.code}${r.diagnosis.detail ? ` (${r.diagnosis.detail}${when})` : when ? ` (${when.slice(2)})` : ""}`);
    }
    out.push(
      dim(
        `  cleanup: deleted ${r.cleanup.deleted} probe message${r.cleanup.deleted === 1 ? "" : "s"}, ${r.cleanup.stale} stale${r.cleanup.errors.length ? `; ${r.cleanup.errors.join("; ")}` : ""}`,
      ),
    );
    for (const p of r.paths) {
      if (!p.cleanup) continue;
      const line = `  ${p.name}: cleanup ${p.cleanup.mode}: ${p.cleanup.detail}${p.leftBehind ? `; ${p.leftBehind} stale probe message(s) left behind` : ""}`;
      out.push(p.cleanup.mode === "uid-expunge" && !p.leftBehind ? dim(line) : warn(line));
    }
    for (const w of r.warnings ?? []) out.push(warn(`  WARNING ${w.code}: ${w.message}`));
    if (r.sinks.length) {
      out.push("  sinks: " + r.sinks.map((s) => (s.ok ? dim(`${s.sink} ${s.target} ok`) : bad(`${s.sink} ${s.target} FAILED (${s.error})`))).join(", "));
    }
  }
  return out.join("\n") + "\n";
}
