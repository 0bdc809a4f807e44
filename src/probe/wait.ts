// The run's middle: open every path and send at once, wait on every path as soon as it is open,
// and watch the sender's event log while waiting. Ends when every open path has seen the message
// (or failed), when the sender reports a final failure upstream, or at the deadline; with no path
// open, when the sender's log has its verdict on the message (within the deadline).
import type { ResolvedPath } from "../config/load.js";
import { AbortedError } from "../core/deadline.js";
import { errText, ProbeError } from "../core/errors.js";
import { findSenderModule, type Sender } from "../core/sender.js";
import { probeSubject, TOKEN_HEADER } from "../core/token.js";
import { receiverNamed } from "../receivers/index.js";
import { createSender } from "../senders/index.js";
import { fastUntil, idleKey } from "./idle-memory.js";
import { closeQuietly, type PathState, type Run } from "./state.js";
import { withSessionSlot } from "./slot-open.js";

/** The longest the credits read (RunDeps.readCredits) may take; it runs beside the paths' opening. */
export const CREDITS_TIMEOUT_MS = 5_000;

export function isAbort(err: unknown, outer?: AbortSignal): boolean {
  return err instanceof AbortedError || (outer?.aborted ?? false);
}

/** Prepare and send; a failed send ends the wait (nothing can arrive). */
async function sendAndWatch(run: Run, ready: Promise<Sender>, signal: AbortSignal, waitSignal: AbortSignal, endWait: () => void): Promise<void> {
  const { probe, send, token } = run;
  const sender = await ready;
  // The run gave up before the sender was built: it is closed here, never used.
  if (run.closed) return closeQuietly(run, "sender", sender);
  run.sender = sender;
  if (run.deps.readCredits && sender.verify && findSenderModule(probe.sender.type)?.hasCredits) {
    // Its own bound: the run's signal stops ticking once the waiting is over.
    run.credits = sender.verify(AbortSignal.any([signal, AbortSignal.timeout(CREDITS_TIMEOUT_MS)])).then(
      (v) => v.credits,
      (err: unknown) => void run.log.debug({ detail: errText(err) }, "credits not read"),
    );
  }
  if (sender.prepare) send.notes.push(...(await sender.prepare(probe.to, signal)));
  run.sendStartMs = run.now();
  const out = await sender.send(
    {
      from: probe.sender.from,
      fromName: probe.sender.fromName,
      to: probe.to,
      subject: probeSubject(probe.name, token),
      text: `This message was sent by mailprobe to check the mail path "${probe.name}".\nIt deletes itself; if you see it, a run was interrupted.\n\ntoken: ${token}\n`,
      headers: { [TOKEN_HEADER]: token, "X-Mailprobe-Probe": probe.name },
    },
    signal,
    run.startedMs + probe.timeoutMs,
  );
  send.seconds = (run.now() - run.sendStartMs) / 1000;
  send.attempts = out.attempts;
  send.notes.push(...out.notes);
  if (!out.ok) {
    send.reason = out.reason;
    send.detail = out.detail;
    run.log.warn({ reason: out.reason, detail: out.detail, attempts: out.attempts }, "send failed");
    endWait();
    return;
  }
  send.ok = true;
  send.messageId = out.messageId;
  if (!out.messageId || !sender.watchEvents) return;
  const final = await sender.watchEvents(out.messageId, probe.to, waitSignal, (e) => {
    run.upstream = e;
    if (e.code === "delivered_not_seen" && e.atMs !== undefined) run.deliveredMs = e.atMs;
    run.log.debug({ ms: run.now() - run.startedMs, upstream: e.code, detail: e.detail }, "sender's event log read");
  });
  if (final) {
    run.upstream = final;
    run.log.warn({ upstream: final.code, detail: final.detail }, "the sender reports the message will not arrive: stop waiting");
    endWait();
  }
}

/** Opens one path and waits on it as soon as it is open. */
async function openAndWait(run: Run, i: number, signal: AbortSignal, waitSignal: AbortSignal): Promise<void> {
  const p = run.probe.paths[i]!;
  const st = run.states[i]!;
  const open = withSessionSlot(run.deps.sessionSlots, run.deps.openPath ?? ((path: ResolvedPath, s: AbortSignal) => receiverNamed().open(path, s)));
  try {
    const session = await open(p, signal);
    // The run gave up before this open ended (an open that outlived an abort): closed here, never used.
    if (run.closed) return closeQuietly(run, `path ${p.name}`, session);
    st.session = session;
  } catch (err) {
    if (isAbort(err, run.deps.signal)) throw err;
    const e = err instanceof ProbeError ? err : new ProbeError("imap_connect", errText(err), { stage: "connect", path: p.name, cause: err });
    st.error = { reason: e.code, detail: e.message };
    run.log.warn({ path: p.name, reason: e.code, detail: e.message }, "path failed to open");
    return;
  }
  if (waitSignal.aborted) return;
  try {
    st.found = await st.session.waitFor(run.token, waitSignal, fastUntil(run.deps.idleLags, idleKey(run.probe.name, p.name), run.startedMs, p.fastPollMs));
    st.foundDuring = "wait";
    if (st.found.mailbox !== st.session.mailbox) st.junk = true;
  } catch (err) {
    if (!isAbort(err, run.deps.signal)) notesOf(run, st);
    if (isAbort(err, run.deps.signal)) throw err;
    if (err instanceof ProbeError) {
      st.error = { reason: err.code, detail: err.message };
      run.log.warn({ path: st.name, reason: err.code, detail: err.message }, "path failed while waiting");
    }
    return;
  }
  notesOf(run, st);
}

/** One warning per thing a path gave up while waiting (the result carries it too). */
function notesOf(run: Run, st: PathState): void {
  for (const detail of st.session?.notes?.() ?? []) run.log.warn({ path: st.name, detail }, "path note");
}

/** Opens, sends and waits; throws only for an outside abort (or a bug). */
export async function openSendWait(run: Run, signal: AbortSignal): Promise<void> {
  const waitCtl = new AbortController();
  const waitSignal = AbortSignal.any([signal, waitCtl.signal]);
  const endWait = () => waitCtl.abort(new Error("wait ended"));
  const ready = (run.deps.createSender ?? createSender)(run.probe.sender, run.deps.senderContext);
  const sending = sendAndWatch(run, ready, signal, waitSignal, endWait);
  // A rejected send must not go unhandled while the paths still open.
  sending.catch(() => undefined);
  const paths = Promise.all(run.probe.paths.map((_, i) => openAndWait(run, i, signal, waitSignal)));
  try {
    await paths;
    // With no path open the sender's log is the only witness left: keep listening to it (within the
    // deadline) for its verdict on the message. Whatever arrived is left to the next stale sweep.
    const open = run.states.some((s) => s.session);
    if (open) endWait();
    await sending;
    if (!open && run.send.ok) run.send.notes.push("sent while no path could be opened: the verdict is the sender's; the message is left to the stale sweep");
  } finally {
    endWait();
  }
  run.log.debug({ ms: run.now() - run.startedMs, ok: run.send.ok, open: run.states.filter((s) => s.session).length }, "wait finished");
}
