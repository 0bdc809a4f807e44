// The cleanup phase of a run, on a budget of its own (it must run after the deadline and after an
// abort): one last look for a late message (and in Junk), delete what was found once per mailbox,
// sweep stale leftovers once per account, ask the sender what happened when nobody saw anything.
import type { ResolvedProbe } from "../config/load.js";
import { raceSignal } from "../core/deadline.js";
import { errText } from "../core/errors.js";
import type { ProbeResult, SendResult } from "../core/result.js";
import type { Sender, UpstreamEvent } from "../core/sender.js";
import type { TokenKey } from "../core/token.js";
import { idleKey, type IdleLagMemory } from "./idle-memory.js";
import type { PathState } from "./judge.js";

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
  const pending = i.send.ok ? i.states.filter((s) => s.session && !s.found && !s.error) : [];
  await Promise.all(
    pending.map(async (st) => {
      try {
        st.found = await st.session!.findNow(i.token, signal);
        if (st.found) st.late = true;
        const junk = st.session!.path.junkMailbox;
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

/** One due path per run (two flag changes at once would blur each other), on a message found in time. */
async function learnIdleLag(i: CleanupInput, signal: AbortSignal): Promise<{ path: string; lagMs: number } | undefined> {
  const now = Date.now();
  const st = i.idleLags && i.states.find((s) => s.found && !s.late && s.session?.idleLagMs && i.idleLags!.due(idleKey(i.probe.name, s.name), now));
  if (!st) return undefined;
  const lagMs = await st.session!.idleLagMs!(st.found!, signal);
  if (lagMs === undefined) return undefined;
  i.idleLags!.learn(idleKey(i.probe.name, st.name), lagMs, now);
  return { path: st.name, lagMs };
}

/** Paths on the same mailbox see the same message: delete it once, credit every path. */
async function deleteFound(states: PathState[], out: CleanupOutput, signal: AbortSignal): Promise<void> {
  const deletes = new Map<string, Promise<boolean>>();
  const idOf = (st: PathState) => `${st.session!.path.user}|${st.found!.mailbox}|${st.found!.uid}`;
  for (const st of states) {
    if (!st.found || !st.session || deletes.has(idOf(st))) continue;
    deletes.set(
      idOf(st),
      st.session.delete(st.found, signal).catch((err: unknown) => {
        out.cleanup.errors.push(`${st.name}: delete failed: ${errText(err)}`);
        return false;
      }),
    );
  }
  for (const ok of await Promise.all(deletes.values())) if (ok) out.cleanup.deleted++;
  for (const st of states) if (st.found && st.session) st.deleted = await deletes.get(idOf(st));
}

/** The stale sweep, once per mailbox account. */
async function sweepStale(i: CleanupInput, out: CleanupOutput, signal: AbortSignal): Promise<void> {
  const swept = new Set<string>();
  for (const st of i.states) {
    if (!st.session) continue;
    const id = `${st.session.path.user}|${st.session.path.mailbox}`;
    if (swept.has(id)) continue;
    swept.add(id);
    try {
      out.cleanup.stale += await st.session.sweep(
        { key: i.key, from: i.probe.sender.from, staleAfterMs: i.probe.staleAfterMs, sweepDays: i.probe.sweepDays },
        signal,
      );
    } catch (err) {
      out.cleanup.errors.push(`${st.name}: stale sweep failed: ${errText(err)}`);
    }
  }
}

/**
 * Runs every cleanup step under `signal`, a hard deadline: a step stuck in an IMAP command (a server
 * trickling a FETCH) is left behind when it fires, and closing the sessions then destroys the
 * sockets, so the command ends too. Closes every session and the sender at the end.
 */
export async function cleanUp(i: CleanupInput, signal: AbortSignal): Promise<CleanupOutput> {
  const out: CleanupOutput = { cleanup: { deleted: 0, stale: 0, errors: [] } };
  const steps = async () => {
    // The last look gets part of the budget only: a path stuck in it must not cost the others their deletes.
    const look = AbortSignal.any([signal, AbortSignal.timeout(LAST_LOOK_MS)]);
    await raceSignal(lastLook(i, out, look), look).catch(() => out.cleanup.errors.push(`last look stopped after ${LAST_LOOK_MS / 1000} s`));
    out.idleLag = await learnIdleLag(i, signal);
    await deleteFound(i.states, out, signal);
    await sweepStale(i, out, signal);
    const unseen = i.send.ok && i.send.messageId && !i.aborted && i.states.every((s) => !s.found);
    // The wait's reading of the event log is the answer when it had one (no second read of a rate-limited API).
    if (unseen && i.upstream) out.diagnosis = { code: i.upstream.code, detail: i.upstream.detail, during: "wait" };
    else if (unseen && i.sender?.diagnose) out.diagnosis = { ...(await i.sender.diagnose(i.send.messageId!, i.probe.to, signal)), during: "cleanup" };
  };
  try {
    await raceSignal(steps(), signal).catch((err: unknown) => {
      if (!signal.aborted) throw err;
      out.cleanup.errors.push(`cleanup stopped: ${errText(signal.reason)}`);
    });
  } finally {
    await Promise.all(i.states.map((s) => s.session?.close()));
    i.sender?.close();
  }
  return out;
}
