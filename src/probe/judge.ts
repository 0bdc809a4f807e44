// Judging a finished cycle: from what each path saw (or why it could not), what the sender did and
// what cleanup found, the verdict per path and for the probe. Pure: no I/O, no clock of its own.
import { parseAuthResults } from "../checks/auth-results.js";
import { ipMatch } from "../checks/ip-match.js";
import { checkReceived } from "../checks/received.js";
import type { ResolvedProbe } from "../config/load.js";
import type { Diagnosis, Reason } from "../core/reasons.js";
import { senderModules } from "../core/sender.js";
import type { PathResult, ProbeResult, RunWarning, SendResult } from "../core/result.js";
import type { CleanupMode, FoundMessage, Session } from "../receivers/session.js";

/** What the run learnt about one path. */
export interface PathState {
  name: string;
  session?: Session;
  error?: { reason: Reason; detail: string };
  found?: FoundMessage;
  junk?: boolean;
  /** Found only by cleanup's last look (after the deadline or an abort): not a success. */
  late?: boolean;
  deleted?: boolean;
  /** What cleanup did on this path (set for every opened path). */
  cleanup?: { mode: CleanupMode; detail: string };
  /** Stale probe messages the sweep left in this path's mailbox (set on the path that swept it). */
  leftBehind?: number;
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
  diagnosis?: { code: Diagnosis; detail?: string };
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
  return Object.freeze({
    probe: i.probe.name,
    ok: failing.length === 0,
    token: i.token,
    reason: failing[0]?.reason,
    startedAt: new Date(i.startedMs).toISOString(),
    durationSeconds: (i.endedMs - i.startedMs) / 1000,
    send: i.send,
    paths,
    realIpOk: verdicts.length ? verdicts.every(Boolean) : undefined,
    diagnosis: i.diagnosis,
    pathSplit,
    cleanup: i.cleanup,
    aborted: i.aborted,
    ...(i.warnings?.length ? { warnings: i.warnings } : {}),
  });
}

export function judgePath(st: PathState, ctx: { probe: ResolvedProbe; send: SendResult; sendStartMs: number; aborted: boolean; seenOn: string[] }): PathResult {
  const session = st.session;
  const base: PathResult = {
    name: st.name,
    ok: false,
    openSeconds: session ? session.openMs / 1000 : undefined,
    tlsCertNotAfter: session?.tlsCertNotAfter?.toISOString(),
    deleted: false,
    cleanup: st.cleanup,
    leftBehind: st.leftBehind,
  };
  if (st.error && !st.found) return { ...base, reason: st.error.reason, detail: st.error.detail };
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
    const elsewhere = ctx.seenOn.length ? ` (seen on ${ctx.seenOn.join(", ")})` : "";
    return { ...base, reason: "not_delivered", detail: `not seen within ${ctx.probe.timeoutMs / 1000} s${elsewhere}` };
  }
  const withMessage: PathResult = {
    ...base,
    roundtripSeconds: (st.found.seenAtMs - ctx.sendStartMs) / 1000,
    seenAt: new Date(st.found.seenAtMs).toISOString(),
    authResults: parseAuthResults(st.found.headers),
    foundIn: st.found.mailbox,
    deleted: st.deleted ?? false,
  };
  if (ctx.probe.received) {
    const verdict = checkReceived(st.found.headers, ctx.probe.received);
    const match = ipMatch(verdict, ctx.probe.received);
    withMessage.ip = match ? { ...verdict, match } : verdict;
    // Nothing to compare the address with yet: say which one to write down.
    if (verdict.ip && !ctx.probe.received.expectedCidrs.length && verdict.reason !== "real_ip_forbidden") {
      const route = senderModules().find((m) => m.type === ctx.probe.sender.type)?.displayName ?? ctx.probe.sender.type;
      withMessage.ip.hint = `observed ${verdict.ip}: add it (or ${route}'s range) to expectedCidrs`;
    }
  }
  if (st.junk) return { ...withMessage, reason: "landed_in_junk", detail: `found in ${st.found.mailbox}, not in ${session?.path.mailbox}` };
  if (withMessage.ip && !withMessage.ip.ok) {
    const ip = withMessage.ip;
    return { ...withMessage, reason: ip.reason, detail: `${ip.ip ?? "no IP"}: ${ip.rule}` };
  }
  return { ...withMessage, ok: true };
}
