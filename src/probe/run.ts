// One probe cycle: open every path (remembering UIDNEXT) while the sender prepares, send the token,
// wait on all paths at once, judge the Received chain, clean up, diagnose. Produces one immutable
// ProbeResult; it never touches metrics or output, and it never throws.
import { checkReceived } from "../checks/received.js";
import { parseAuthResults } from "../checks/auth-results.js";
import type { ResolvedProbe } from "../config/load.js";
import type { Logger } from "../log.js";
import { openImap, type FoundMessage, type ImapSession } from "../receivers/imap.js";
import { errText, ProbeError } from "../core/errors.js";
import { createSender } from "../senders/index.js";
import type { Sender } from "../senders/types.js";
import { AbortedError, childSignal } from "../core/deadline.js";
import type { Reason } from "../core/reasons.js";
import type { PathResult, ProbeResult, SendResult } from "../core/result.js";
import { newToken, tokenKey, TOKEN_HEADER } from "./token.js";

/** Time cleanup (deletes, stale sweep, diagnosis, logout) may take after the deadline or an abort. */
export const CLEANUP_BUDGET_MS = 10_000;

export interface RunDeps {
  log: Logger;
  /** Aborts the run from outside (SIGTERM, SIGINT, serve shutdown): the result says `aborted`. */
  signal?: AbortSignal;
  createSender?: typeof createSender;
  openPath?: typeof openImap;
}

interface PathState {
  name: string;
  session?: ImapSession;
  error?: { reason: Reason; detail: string };
  found?: FoundMessage;
  junk?: boolean;
  /** Found only by cleanup's last look (after the deadline or an abort): not a success. */
  late?: boolean;
  deleted?: boolean;
}

function isAbort(err: unknown, outer?: AbortSignal): boolean {
  return err instanceof AbortedError || (outer?.aborted ?? false);
}

export async function runProbe(probe: ResolvedProbe, deps: RunDeps): Promise<ProbeResult> {
  const log = deps.log.child({ probe: probe.name });
  const started = Date.now();
  const { signal, dispose } = childSignal(deps.signal, probe.timeoutMs, `deadline of ${probe.timeoutMs / 1000} s`);
  const key = tokenKey(
    probe.name,
    probe.paths.map((p) => p.password),
  );
  const token = newToken(key, started);
  const states: PathState[] = probe.paths.map((p) => ({ name: p.name }));
  const send: SendResult = { type: probe.sender.type, ok: false, attempts: 0, notes: [] };
  let sender: Sender | undefined;
  let aborted = false;
  let sendStartMs = 0;

  try {
    // 1. Open every path and let the sender prepare, all at once.
    const senderReady = (deps.createSender ?? createSender)(probe.sender);
    const open = deps.openPath ?? openImap;
    await Promise.all([
      ...probe.paths.map(async (p, i) => {
        try {
          states[i]!.session = await open(p, signal);
        } catch (err) {
          if (isAbort(err, deps.signal)) throw err;
          const e = err instanceof ProbeError ? err : new ProbeError("imap_connect", errText(err), { stage: "connect", path: p.name, cause: err });
          states[i]!.error = { reason: e.code, detail: e.message };
          log.warn({ path: p.name, reason: e.code, detail: e.message }, "path failed to open");
        }
      }),
      senderReady.then(async (s) => {
        sender = s;
        if (s.prepare) send.notes.push(...(await s.prepare(probe.to, signal)));
      }),
    ]);

    log.debug({ ms: Date.now() - started, open: states.filter((s) => s.session).length }, "paths open, sender ready");
    // 2. Send, unless no path could read the message anyway (saves the sender's quota).
    const openStates = states.filter((s) => s.session);
    if (openStates.length === 0) {
      send.skipped = true;
      send.notes.push("not sent: no path could be opened");
    } else {
      sendStartMs = Date.now();
      const out = await sender!.send(
        {
          from: probe.sender.from,
          fromName: probe.sender.type === "brevo" ? probe.sender.fromName : undefined,
          to: probe.to,
          subject: `mailprobe ${probe.name} ${token}`,
          text: `This message was sent by mailprobe to check the mail path "${probe.name}".\nIt deletes itself; if you see it, a run was interrupted.\n\ntoken: ${token}\n`,
          headers: { [TOKEN_HEADER]: token, "X-Mailprobe-Probe": probe.name },
        },
        signal,
        started + probe.timeoutMs,
      );
      send.seconds = (Date.now() - sendStartMs) / 1000;
      send.attempts = out.attempts;
      send.notes.push(...out.notes);
      if (out.ok) {
        send.ok = true;
        send.messageId = out.messageId;
      } else {
        send.reason = out.reason;
        send.detail = out.detail;
        log.warn({ reason: out.reason, detail: out.detail, attempts: out.attempts }, "send failed");
      }
    }

    log.debug({ ms: Date.now() - started, ok: send.ok }, "send finished");
    // 3. Wait on every open path at once.
    if (send.ok) {
      await Promise.all(
        openStates.map(async (st) => {
          const session = st.session!;
          try {
            st.found = await session.waitFor(token, signal, sendStartMs + session.path.fastPollMs);
          } catch (err) {
            if (isAbort(err, deps.signal)) throw err;
            if (err instanceof ProbeError) {
              st.error = { reason: err.code, detail: err.message };
              log.warn({ path: st.name, reason: err.code, detail: err.message }, "path failed while waiting");
            }
            // Otherwise the deadline: judged below as not delivered.
          }
        }),
      );
    }
  } catch (err) {
    if (isAbort(err, deps.signal)) {
      aborted = true;
      log.warn({ detail: errText(deps.signal?.reason ?? err) }, "run aborted");
    } else {
      log.error({ err: errText(err) }, "internal error");
      for (const st of states) st.error ??= { reason: "internal_error", detail: errText(err) };
    }
  } finally {
    dispose();
  }

  log.debug({ ms: Date.now() - started }, "waiting finished");
  // 4. Cleanup on a budget of its own: it must run after the deadline and after an abort.
  const cleanup = childSignal(undefined, CLEANUP_BUDGET_MS, "cleanup budget");
  const cleanupResult = { deleted: 0, stale: 0, errors: [] as string[] };
  let diagnosis: ProbeResult["diagnosis"];
  try {
    const pending = send.ok ? states.filter((s) => s.session && !s.found && !s.error) : [];
    // Interrupted or late: one last look, so that our own message does not stay behind.
    await Promise.all(
      pending.map(async (st) => {
        try {
          st.found = await st.session!.findNow(token, cleanup.signal);
          if (st.found) st.late = true;
          const junk = st.session!.path.junkMailbox;
          if (!st.found && junk && !aborted) {
            st.found = await st.session!.findIn(junk, token, cleanup.signal);
            if (st.found) st.junk = true;
          }
        } catch (err) {
          cleanupResult.errors.push(`${st.name}: ${errText(err)}`);
        }
      }),
    );
    // Paths on the same mailbox see the same message: delete it once, credit every path.
    const deletes = new Map<string, Promise<boolean>>();
    const idOf = (st: PathState) => `${st.session!.path.user}|${st.found!.mailbox}|${st.found!.uid}`;
    for (const st of states) {
      if (!st.found || !st.session || deletes.has(idOf(st))) continue;
      deletes.set(
        idOf(st),
        st.session.delete(st.found, cleanup.signal).catch((err: unknown) => {
          cleanupResult.errors.push(`${st.name}: delete failed: ${errText(err)}`);
          return false;
        }),
      );
    }
    for (const ok of await Promise.all(deletes.values())) if (ok) cleanupResult.deleted++;
    for (const st of states) if (st.found && st.session) st.deleted = await deletes.get(idOf(st));
    // The stale sweep, once per mailbox account.
    const swept = new Set<string>();
    for (const st of states) {
      if (!st.session) continue;
      const id = `${st.session.path.user}|${st.session.path.mailbox}`;
      if (swept.has(id)) continue;
      swept.add(id);
      try {
        cleanupResult.stale += await st.session.sweep(
          { key, from: probe.sender.from, staleAfterMs: probe.staleAfterMs, sweepDays: probe.sweepDays },
          cleanup.signal,
        );
      } catch (err) {
        cleanupResult.errors.push(`${st.name}: stale sweep failed: ${errText(err)}`);
      }
    }
    if (send.ok && send.messageId && !aborted && states.every((s) => !s.found) && sender?.diagnose) {
      diagnosis = await sender.diagnose(send.messageId, probe.to, cleanup.signal);
    }
  } finally {
    await Promise.all(states.map((s) => s.session?.close()));
    sender?.close();
    cleanup.dispose();
  }
  for (const e of cleanupResult.errors) log.warn({ detail: e }, "cleanup problem");
  log.debug({ ms: Date.now() - started }, "cleanup finished");

  // 5. Verdicts.
  const seenOn = states.filter((s) => s.found && !s.junk && !s.late).map((s) => s.name);
  const paths: PathResult[] = states.map((st) => judgePath(st, { probe, send, sendStartMs, aborted, seenOn }));
  const failing = paths.filter((p) => !p.ok);
  const verdicts = paths.filter((p) => p.ip).map((p) => p.ip!.ok);
  const realIpOk = verdicts.length ? verdicts.every(Boolean) : undefined;
  let pathSplit: string | undefined;
  // A path that did not see (or could not read) what another path saw isolates the failure to
  // what only that path crosses (HAProxy, NAT, its listener), not the mailserver itself.
  const blind = paths.filter((p) => !p.ok && !seenOn.includes(p.name));
  if (seenOn.length && blind.length) {
    pathSplit = `seen on ${seenOn.join(", ")}; not on ${blind.map((p) => `${p.name} (${p.reason})`).join(", ")}: the mailserver works, look at what only the failing path crosses (HAProxy, NAT, its listener)`;
  }
  const result: ProbeResult = {
    probe: probe.name,
    ok: failing.length === 0,
    token,
    reason: failing[0]?.reason,
    startedAt: new Date(started).toISOString(),
    durationSeconds: (Date.now() - started) / 1000,
    send,
    paths,
    realIpOk,
    diagnosis,
    pathSplit,
    cleanup: cleanupResult,
    aborted,
  };
  return Object.freeze(result);
}

function judgePath(st: PathState, ctx: { probe: ResolvedProbe; send: SendResult; sendStartMs: number; aborted: boolean; seenOn: string[] }): PathResult {
  const session = st.session;
  const base: PathResult = {
    name: st.name,
    ok: false,
    openSeconds: session ? session.openMs / 1000 : undefined,
    tlsCertNotAfter: session?.tlsCertNotAfter?.toISOString(),
    deleted: false,
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
    withMessage.ip = checkReceived(st.found.headers, ctx.probe.received);
  }
  if (st.junk) return { ...withMessage, reason: "landed_in_junk", detail: `found in ${st.found.mailbox}, not in ${session?.path.mailbox}` };
  if (withMessage.ip && !withMessage.ip.ok) {
    const ip = withMessage.ip;
    return { ...withMessage, reason: ip.reason, detail: `${ip.ip ?? "no IP"}: ${ip.rule}` };
  }
  return { ...withMessage, ok: true };
}
