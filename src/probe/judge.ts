// Judging a finished cycle: from what each path saw (or why it could not), what the sender did and
// what cleanup found, the verdict per path and for the probe. Pure: no I/O, no clock of its own.
import { authFailure, authLink, authPhrase } from "../checks/auth-verdict.js";
import { MTAS, type Mta } from "../checks/grammars.js";
import { readMessage } from "../checks/message.js";
import { defaultAuthservId } from "../checks/mx-headers.js";
import type { ResolvedProbe } from "../config/load.js";
import type { Reason } from "../core/reasons.js";
import { findSenderModule } from "../core/sender.js";
import type { PathResult, ProbeResult, RelayResult, RunWarning, SendResult } from "../core/result.js";
import type { UpstreamEvent } from "../core/sender.js";
import type { PathState } from "./state.js";
import { stagesOf } from "./stages.js";

/** Which grammar would read a refused hop of ours: a suggestion only, the verdict stays entry_hop_unparsed. */
function mtaHint(mta: Mta, readableBy: { mta: Mta; ip: string }[]): string {
  const set = `received.mta is ${mta}: set it to the MTA that writes this header`;
  if (!readableBy.length) return `${set}; no known grammar reads it (${MTAS.join(", ")})`;
  const reads = readableBy.map((r) => `${r.mta}'s grammar reads it (client ${r.ip})`).join("; ");
  return `${set} — ${reads}; confirm which MTA your MX runs: a header never chooses its own grammar`;
}

export interface JudgeInput {
  probe: ResolvedProbe;
  token: string;
  startedMs: number;
  endedMs: number;
  states: PathState[];
  send: SendResult;
  sendStartMs: number;
  aborted: boolean;
  cleanup: ProbeResult["cleanup"];
  diagnosis?: ProbeResult["diagnosis"];
  /** The sender's final failure that ended the wait, if one did. */
  upstream?: UpstreamEvent;
  /** When the sender's log says it delivered the message (epoch ms). */
  deliveredMs?: number;
  /** The relay check of the probe's SMTP entry points (probe-level). */
  relay?: RelayResult[];
  /** Certificates read from the route's SMTP sender listener. */
  smtpCerts?: ProbeResult["smtpCerts"];
  warnings?: RunWarning[];
}

export function judge(i: JudgeInput): ProbeResult {
  const seenOn = i.states.filter((s) => s.found && !s.junk && !s.late).map((s) => s.name);
  const paths = i.states.map((st) => judgePath(st, { ...i, seenOn }));
  const failing = paths.filter((p) => !p.ok);
  const verdicts = paths.filter((p) => p.ip).map((p) => p.ip!.ok);
  let pathSplit: string | undefined;
  // A path that did not see (or could not read) what another path saw isolates the failure to
  // what only that path crosses (HAProxy, NAT, its listener), not the mailserver itself.
  const blind = paths.filter((p) => !p.ok && !seenOn.includes(p.name));
  if (seenOn.length && blind.length) {
    pathSplit = `seen on ${seenOn.join(", ")}; not on ${blind.map((p) => `${p.name} (${p.reason})`).join(", ")}: the mailserver works, look at what only the failing path crosses (HAProxy, NAT, its listener)`;
  }
  // An open relay fails the probe, not a path: the paths keep their own verdicts (mailprobe_success),
  // run_success is 0 and the reason is open_relay when no path failed first.
  // A `from: lan` entry that relays is its own finding (relays_for_lan, a warning): the LAN is often
  // in mynetworks on purpose, and the server saw the node's address, not a stranger's.
  const open = (i.relay ?? []).filter((r) => r.state === "open" && r.from !== "lan");
  const forLan = (i.relay ?? []).filter((r) => r.state === "open" && r.from === "lan");
  const warnings = [...(i.warnings ?? []), ...forLan.map((r) => relaysForLanWarning(r.entry))];
  return Object.freeze({
    probe: i.probe.name,
    ok: failing.length === 0 && open.length === 0,
    token: i.token,
    reason: failing[0]?.reason ?? (open.length ? "open_relay" : undefined),
    startedAt: new Date(i.startedMs).toISOString(),
    durationSeconds: (i.endedMs - i.startedMs) / 1000,
    send: i.send,
    paths,
    realIpOk: verdicts.length ? verdicts.every(Boolean) : undefined,
    diagnosis: i.diagnosis,
    pathSplit,
    cleanup: i.cleanup,
    aborted: i.aborted,
    ...(i.relay ? { relay: i.relay } : {}),
    ...(i.smtpCerts ? { smtpCerts: i.smtpCerts } : {}),
    ...(i.probe.sender.authResults?.require.length ? { authRequire: [...i.probe.sender.authResults.require] } : {}),
    ...(warnings.length ? { warnings } : {}),
  });
}

type PathContext = Pick<JudgeInput, "probe" | "send" | "sendStartMs" | "aborted" | "upstream" | "deliveredMs"> & { seenOn: string[] };

export function judgePath(st: PathState, ctx: PathContext): PathResult {
  const session = st.session;
  const base: PathResult = {
    name: st.name,
    ok: false,
    openSeconds: session ? session.openMs / 1000 : undefined,
    tlsCertNotAfter: session?.tlsCertNotAfter?.toISOString(),
    ...(session ? { mailboxes: { watched: session.mailbox, ...(session.junkMailbox ? { junk: session.junkMailbox } : {}) } } : {}),
    deleted: false,
    foundDuring: st.foundDuring,
    cleanup: st.cleanup,
    leftBehind: st.leftBehind,
    ...(session?.notes?.().length ? { notes: session.notes() } : {}),
  };
  // A path whose wait failed keeps its failure even when the last look then found (and removed) the message.
  if (st.error && (!st.found || st.late)) return { ...base, deleted: st.deleted ?? false, reason: st.error.reason, detail: st.error.detail };
  if (!ctx.send.ok) {
    if (ctx.aborted) return { ...base, reason: "aborted", detail: "interrupted before the message was sent" };
    return { ...base, reason: ctx.send.reason, detail: `not sent: ${ctx.send.detail}` };
  }
  if (st.late) {
    const deleted = st.deleted ?? false;
    const fate = deleted ? "deleted" : "left for the stale sweep";
    if (ctx.aborted) return { ...base, deleted, reason: "aborted", detail: `interrupted while waiting; the message had arrived and was ${fate}` };
    return { ...base, deleted, reason: "not_delivered", detail: `arrived after the deadline of ${ctx.probe.timeoutMs / 1000} s; ${fate}` };
  }
  if (!st.found) {
    if (ctx.aborted) return { ...base, reason: "aborted", detail: "interrupted while waiting for the message" };
    const up = ctx.upstream;
    if (up?.final) return { ...base, reason: "not_delivered", detail: `the sender reports ${up.code} (${up.detail ?? "no detail"}): stopped waiting` };
    const elsewhere = ctx.seenOn.length ? ` (seen on ${ctx.seenOn.join(", ")})` : "";
    return { ...base, reason: "not_delivered", detail: `not seen within ${ctx.probe.timeoutMs / 1000} s${elsewhere}` };
  }
  const rules = ctx.probe.received;
  // The route's own checks: a watchSender route carries its own, never the main sender's.
  const route = ctx.probe.sender;
  const authservId = rules && (route.authResults?.authservId ?? defaultAuthservId(rules.mxHosts));
  const reading = rules && readMessage(st.found.headers, rules, authservId);
  const withMessage: PathResult = {
    ...base,
    roundtripSeconds: (st.found.seenAtMs - ctx.sendStartMs) / 1000,
    seenAt: new Date(st.found.seenAtMs).toISOString(),
    foundIn: st.found.mailbox,
    deleted: st.deleted ?? false,
    stages: stagesOf(st.found, { ...ctx, mxMs: reading?.hopDateMs }),
  };
  if (rules && reading) {
    const verdict = reading.ip;
    withMessage.ip = { ...verdict };
    // Nothing to compare the address with yet: say which one to write down.
    if (verdict.ip && !rules.expectedCidrs.length && verdict.reason !== "real_ip_forbidden") {
      const name = findSenderModule(route.type)?.displayName ?? route.type;
      withMessage.ip.hint = `observed ${verdict.ip}: add it (or ${name}'s range) to expectedCidrs`;
    }
    if (verdict.reason === "entry_hop_unparsed") withMessage.ip.hint = mtaHint(rules.mta ?? "postfix", reading.readableBy ?? []);
    if (reading.authResults) withMessage.authResults = reading.authResults;
    if (reading.spam) withMessage.spam = reading.spam;
    if (reading.entryTls) withMessage.entryTls = reading.entryTls;
  }
  return withVerdict(withMessage, st, ctx.probe, session?.mailbox);
}

/** One reason per path by root cause: the real client IP, the entry hop's TLS, authentication, then spam. */
function withVerdict(p: PathResult, st: PathState, probe: ResolvedProbe, mailbox: string | undefined): PathResult {
  const ar = p.authResults;
  const score = p.spam ? `score ${p.spam.score.toFixed(2)}` : undefined;
  if (p.ip && !p.ip.ok) {
    const link = authLink(ar, p.ip.ip);
    return { ...p, reason: p.ip.reason, detail: `${p.ip.ip ?? "no IP"}: ${p.ip.rule}${link ? `; ${link}` : ""}` };
  }
  if (probe.received?.requireTls && p.entryTls?.tls === false) {
    return { ...p, reason: "entry_hop_plaintext", detail: `the entry hop into the MX used no TLS (received.requireTls): ${p.ip?.header ?? ""}` };
  }
  const failed = ar && authFailure(ar, probe.sender.authResults?.require ?? []);
  if (failed) return { ...p, reason: "auth_failed", detail: failed };
  if (st.junk) {
    const why = [score, ar && authPhrase(ar)].filter(Boolean).join(", ");
    return { ...p, reason: "landed_in_junk", detail: `found in ${st.found!.mailbox}, not in ${mailbox}${why ? ` (${why})` : ""}` };
  }
  const max = probe.sender.spam?.maxScore;
  if (max !== undefined && p.spam && p.spam.score > max) {
    return { ...p, reason: "spam_score_high", detail: `${score} > spam.maxScore ${max}${p.spam.flagged ? " (flagged by the filter)" : ""}` };
  }
  return { ...p, ok: true };
}

function relaysForLanWarning(entry: string): RunWarning {
  const detail = `relays_for_lan ${entry}: the entry point accepted a relay from the node's LAN address (relayCheck from: lan)`;
  const hint = "Fine only if the LAN is meant to relay (Postfix mynetworks); otherwise remove it from mynetworks";
  return { code: "relays_for_lan", message: `${detail}. ${hint}`, detail, hint };
}
