// The cleanup phase of a run, on a budget of its own (it must run after the deadline and after an
// abort): one last look for a late message (and in Junk), delete what was found once per mailbox,
// sweep stale leftovers once per mailbox (host, port, user, folder), ask the sender what happened when nobody saw anything.
import type { ResolvedProbe } from "../config/load.js";
import { raceSignal } from "../core/deadline.js";
import { errText } from "../core/errors.js";
import type { ProbeResult, SendResult } from "../core/result.js";
import type { Sender, UpstreamEvent } from "../core/sender.js";
import type { TokenKey } from "../core/token.js";
import { idleKey, type IdleLagMemory } from "./idle-memory.js";
import type { PathState } from "./state.js";
import { provenOwn, type CleanupAction, type OwnMessage, type SweepResult } from "../receivers/session.js";

/** The share of the cleanup budget the last look (and the Junk look) may take. */
export const LAST_LOOK_MS = 4000;

export interface CleanupInput {
  probe: ResolvedProbe;
  key: TokenKey;
  token: string;
  states: PathState[];
  send: SendResult;
  sender?: Sender;
  /** What the sender's event log said during the wait, if it was read. */
  upstream?: UpstreamEvent;
  aborted: boolean;
  /** serve/watch: learn a due path's IDLE lag on the found message before it is deleted. */
  idleLags?: IdleLagMemory;
}

export interface CleanupOutput {
  cleanup: ProbeResult["cleanup"];
  /** The IDLE lag learnt in this run, if one was measured. */
  idleLag?: { path: string; lagMs: number };
  diagnosis?: ProbeResult["diagnosis"];
}

/** Interrupted or late: one last look, so that our own message does not stay behind. */
async function lastLook(i: CleanupInput, out: CleanupOutput, signal: AbortSignal): Promise<void> {
  // A path whose wait failed is still looked at while its connection is usable (its message would stay behind).
  const pending = i.send.ok ? i.states.filter((s) => s.session && !s.found && (!s.error || s.session.usable?.())) : [];
  await Promise.all(
    pending.map(async (st) => {
      try {
        st.found = await st.session!.findNow(i.token, signal);
        if (st.found) st.late = true;
        const junk = st.session!.junkMailbox;
        if (!st.found && junk && !i.aborted) {
          st.found = await st.session!.findIn(junk, i.token, signal);
          if (st.found) st.junk = true;
        }
        if (st.found) st.foundDuring = "cleanup";
      } catch (err) {
        out.cleanup.errors.push(`${st.name}: ${errText(err)}`);
      }
    }),
  );
}

/**
 * One due path per run (two flag changes at once would blur each other), on a message found in time.
 * The measurement flags the message \Flagged: only on a message proven this run's own, and only where
 * the cleanup mode is uid-expunge (it is about to be expunged); a message that is moved or left keeps
 * the flags it arrived with.
 */
async function learnIdleLag(i: CleanupInput, signal: AbortSignal): Promise<{ path: string; lagMs: number } | undefined> {
  const now = Date.now();
  const st =
    i.idleLags &&
    i.states.find(
      (s) =>
        s.found &&
        !s.late &&
        s.session?.idleLagMs &&
        s.session.cleanupMode === "uid-expunge" &&
        provenOwn(s.found, ownOf(i)) &&
        i.idleLags!.due(idleKey(i.probe.name, s.name), now),
    );
  if (!st) return undefined;
  const lagMs = await st.session!.idleLagMs!(st.found!, signal);
  if (lagMs === undefined) return undefined;
  i.idleLags!.learn(idleKey(i.probe.name, st.name), lagMs, now);
  return { path: st.name, lagMs };
}

/** What this run claims of its own message (the ownership proof's run claim). */
const ownOf = (i: CleanupInput): OwnMessage => ({ token: i.token, from: i.probe.sender.from, probeName: i.probe.name });

/** One mailbox is one server, account and folder: deletes and sweeps run once per mailbox. */
export function mailboxKey(st: PathState, mailbox: string): string {
  const p = st.session!.path;
  return `${p.host}|${p.port}|${p.user}|${mailbox}`;
}

/**
 * Paths on the same mailbox see the same message: remove it once (if proven ours), credit every path.
 * The same user and folder behind two host:port pairs may be two servers or two listeners of one:
 * each is asked in turn, and a listener that finds the message already gone says so (count 0).
 */
async function deleteFound(i: CleanupInput, out: CleanupOutput, signal: AbortSignal): Promise<void> {
  const actions = new Map<string, CleanupAction | undefined>();
  const groups = new Map<string, PathState[]>();
  for (const st of i.states) {
    if (!st.found || !st.session || actions.has(idOf(st))) continue;
    actions.set(idOf(st), undefined);
    const g = `${st.session.path.user}|${st.found.mailbox}|${st.found.uid}`;
    groups.set(g, [...(groups.get(g) ?? []), st]);
  }
  // Within a group, the listeners that can remove go first: a `left` listener then finds the message
  // already gone, rather than reporting left what the next one removes.
  const rank = (st: PathState) => ["uid-expunge", "moved-to-trash", "left"].indexOf(st.session!.cleanupMode);
  await Promise.all(
    [...groups.values()].map(async (group) => {
      for (const st of [...group].sort((a, b) => rank(a) - rank(b))) actions.set(idOf(st), await removeOne(st, i, out, signal));
    }),
  );
  for (const action of actions.values()) out.cleanup.deleted += action?.count ?? 0;
  for (const st of i.states) {
    if (!st.session) continue;
    const action = st.found ? actions.get(idOf(st)) : undefined;
    st.deleted = action?.removed ?? (st.found ? false : undefined);
    st.cleanup = action
      ? { mode: action.mode, detail: action.detail }
      : { mode: st.session.cleanupMode, detail: st.found ? "delete failed (see cleanup errors)" : `nothing of this run to remove; ${st.session.cleanupWhy}` };
  }
}

const idOf = (st: PathState) => `${mailboxKey(st, st.found!.mailbox)}|${st.found!.uid}`;

async function removeOne(st: PathState, i: CleanupInput, out: CleanupOutput, signal: AbortSignal): Promise<CleanupAction | undefined> {
  const found = st.found!;
  if (!provenOwn(found, ownOf(i))) {
    const detail = `uid ${found.uid} in ${found.mailbox} not removed: its token header or sender does not prove it is this run's message`;
    return { mode: st.session!.cleanupMode, removed: false, count: 0, detail };
  }
  try {
    return await st.session!.delete(found, ownOf(i), signal);
  } catch (err) {
    out.cleanup.errors.push(`${st.name}: delete failed: ${errText(err)}`);
    return undefined;
  }
}

/**
 * The stale sweep, once per mailbox; without a configured key it only counts look-alikes. Two
 * listeners of one server are two mailboxes here (either may be the only one reachable), so each
 * sweeps; the counts are de-duplicated by message identity (the token): a message is left behind
 * once in the run, and not at all when one of the listeners removed it.
 */
async function sweepStale(i: CleanupInput, out: CleanupOutput, signal: AbortSignal): Promise<void> {
  const swept = new Set<string>();
  const results: { st: PathState; r: SweepResult }[] = [];
  for (const st of i.states) {
    if (!st.session) continue;
    const id = mailboxKey(st, st.session.path.mailbox);
    if (swept.has(id)) continue;
    swept.add(id);
    try {
      const r = await st.session.sweep(
        {
          key: i.key.configured ? i.key : undefined,
          from: i.probe.sender.from,
          probeName: i.probe.name,
          staleAfterMs: i.probe.staleAfterMs,
          sweepDays: i.probe.sweepDays,
        },
        signal,
      );
      out.cleanup.stale += r.removed;
      results.push({ st, r });
    } catch (err) {
      out.cleanup.errors.push(`${st.name}: stale sweep failed: ${errText(err)}`);
    }
  }
  const left = countLeftBehind(results.map((x) => x.r));
  results.forEach(({ st, r }, n) => {
    st.leftBehind = left[n]!;
    out.cleanup.leftBehind = (out.cleanup.leftBehind ?? 0) + left[n]!;
    if (left[n] && r.detail) out.cleanup.errors.push(`${st.name}: stale sweep: ${r.detail}`);
  });
}

/** Per sweep, its left-behind messages not removed by any sweep of the run nor counted by an earlier one. Pure. */
export function countLeftBehind(results: SweepResult[]): number[] {
  const removed = new Set(results.flatMap((r) => r.removedIds ?? []));
  const counted = new Set<string>();
  return results.map((r) => {
    if (!r.leftIds) return r.leftBehind;
    const fresh = [...new Set(r.leftIds)].filter((id) => !removed.has(id) && !counted.has(id));
    for (const id of fresh) counted.add(id);
    return fresh.length;
  });
}

/**
 * Runs every cleanup step under `signal`, a hard deadline: a step stuck in an IMAP command (a server
 * trickling a FETCH) is left behind when it fires, and closing the sessions then destroys the
 * sockets, so the command ends too. It closes nothing: run.ts's closeRun does, right after it.
 */
export async function cleanUp(i: CleanupInput, signal: AbortSignal): Promise<CleanupOutput> {
  const out: CleanupOutput = { cleanup: { deleted: 0, stale: 0, errors: [], leftBehind: 0 } };
  const steps = async () => {
    // The last look gets part of the budget only: a path stuck in it must not cost the others their deletes.
    const look = AbortSignal.any([signal, AbortSignal.timeout(LAST_LOOK_MS)]);
    await raceSignal(lastLook(i, out, look), look).catch(() => out.cleanup.errors.push(`last look stopped after ${LAST_LOOK_MS / 1000} s`));
    out.idleLag = await learnIdleLag(i, signal);
    await deleteFound(i, out, signal);
    await sweepStale(i, out, signal);
    const unseen = i.send.ok && i.send.messageId && !i.aborted && i.states.every((s) => !s.found);
    // The wait's reading of the event log is the answer when it had one (no second read of a rate-limited API).
    if (unseen && i.upstream) out.diagnosis = { code: i.upstream.code, detail: i.upstream.detail, during: "wait" };
    else if (unseen && i.sender?.diagnose) out.diagnosis = { ...(await i.sender.diagnose(i.send.messageId!, i.probe.to, signal)), during: "cleanup" };
  };
  await raceSignal(steps(), signal).catch((err: unknown) => {
    if (!signal.aborted) throw err;
    out.cleanup.errors.push(`cleanup stopped: ${errText(signal.reason)}`);
  });
  return out;
}
