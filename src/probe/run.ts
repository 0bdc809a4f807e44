// One probe cycle in phases: open every path (remembering where new mail starts) while the sender
// prepares, send the token, wait on all paths at once, clean up on a budget of its own, judge.
// Produces one immutable ProbeResult; it never touches metrics or output, and it never throws.
// Senders and receivers come from their registries; RunDeps can replace both (unit tests).
import type { ResolvedPath, ResolvedProbe } from "../config/load.js";
import { AbortedError, childSignal } from "../core/deadline.js";
import { errText, ProbeError } from "../core/errors.js";
import type { ProbeResult, RunWarning, SendResult } from "../core/result.js";
import { senderModules, type Sender, type SenderConfig } from "../core/sender.js";
import { ephemeralTokenKey, newToken, noTokenKeyWarning, tokenKey, TOKEN_HEADER } from "../core/token.js";
import type { Logger } from "../log.js";
import { receiverFor, type Session } from "../receivers/index.js";
import { createSender } from "../senders/index.js";
import { cleanUp } from "./cleanup.js";
import { judge, type PathState } from "./judge.js";

/** Time cleanup (deletes, stale sweep, diagnosis, logout) may take after the deadline or an abort. */
export const CLEANUP_BUDGET_MS = 10_000;

/** The longest the credits read (RunDeps.readCredits) may take; it runs beside the paths' opening. */
export const CREDITS_TIMEOUT_MS = 5_000;

export interface RunDeps {
  log: Logger;
  /** Aborts the run from outside (SIGTERM, SIGINT, serve shutdown): the result says `aborted`. */
  signal?: AbortSignal;
  /** Builds the sender (default: the sender registry). */
  createSender?: (cfg: SenderConfig) => Promise<Sender>;
  /** Opens a path (default: the path's receiver from the registry). */
  openPath?: (path: ResolvedPath, signal: AbortSignal) => Promise<Session>;
  /** The clock (default Date.now). */
  now?: () => number;
  /**
   * Read the account's remaining credits when the sender has them (one cheap call, e.g. Brevo's
   * GET /v3/account, while the paths open; it never delays or fails the run). run and serve do.
   */
  readCredits?: boolean;
}

interface Run {
  probe: ResolvedProbe;
  deps: RunDeps;
  log: Logger;
  now: () => number;
  startedMs: number;
  token: string;
  states: PathState[];
  send: SendResult;
  sender?: Sender;
  sendStartMs: number;
  credits?: Promise<number | undefined>;
}

function isAbort(err: unknown, outer?: AbortSignal): boolean {
  return err instanceof AbortedError || (outer?.aborted ?? false);
}

/** Phase 1: open every path and let the sender prepare, all at once. */
async function openPhase(run: Run, signal: AbortSignal): Promise<void> {
  const { probe, deps, log } = run;
  const open = deps.openPath ?? ((path: ResolvedPath, s: AbortSignal) => receiverFor(path).open(path, s));
  const senderReady = (deps.createSender ?? createSender)(probe.sender);
  await Promise.all([
    ...probe.paths.map(async (p, i) => {
      try {
        run.states[i]!.session = await open(p, signal);
      } catch (err) {
        if (isAbort(err, deps.signal)) throw err;
        const e = err instanceof ProbeError ? err : new ProbeError("imap_connect", errText(err), { stage: "connect", path: p.name, cause: err });
        run.states[i]!.error = { reason: e.code, detail: e.message };
        log.warn({ path: p.name, reason: e.code, detail: e.message }, "path failed to open");
      }
    }),
    senderReady.then(async (s) => {
      run.sender = s;
      if (deps.readCredits && s.verify && senderModules().find((m) => m.type === probe.sender.type)?.hasCredits) {
        // Its own bound: the run's signal stops ticking once the waiting is over.
        run.credits = s.verify(AbortSignal.any([signal, AbortSignal.timeout(CREDITS_TIMEOUT_MS)])).then(
          (v) => v.credits,
          (err: unknown) => void log.debug({ detail: errText(err) }, "credits not read"),
        );
      }
      if (s.prepare) run.send.notes.push(...(await s.prepare(probe.to, signal)));
    }),
  ]);
}

/** Phase 2: send, unless no path could read the message anyway (saves the sender's quota). */
async function sendPhase(run: Run, signal: AbortSignal): Promise<void> {
  const { probe, send, token } = run;
  if (!run.states.some((s) => s.session)) {
    send.skipped = true;
    send.notes.push("not sent: no path could be opened");
    return;
  }
  run.sendStartMs = run.now();
  const out = await run.sender!.send(
    {
      from: probe.sender.from,
      fromName: probe.sender.fromName,
      to: probe.to,
      subject: `mailprobe ${probe.name} ${token}`,
      text: `This message was sent by mailprobe to check the mail path "${probe.name}".\nIt deletes itself; if you see it, a run was interrupted.\n\ntoken: ${token}\n`,
      headers: { [TOKEN_HEADER]: token, "X-Mailprobe-Probe": probe.name },
    },
    signal,
    run.startedMs + probe.timeoutMs,
  );
  send.seconds = (run.now() - run.sendStartMs) / 1000;
  send.attempts = out.attempts;
  send.notes.push(...out.notes);
  if (out.ok) {
    send.ok = true;
    send.messageId = out.messageId;
  } else {
    send.reason = out.reason;
    send.detail = out.detail;
    run.log.warn({ reason: out.reason, detail: out.detail, attempts: out.attempts }, "send failed");
  }
}

/** Phase 3: wait on every open path at once; the deadline leaves a path unseen (judged later). */
async function waitPhase(run: Run, signal: AbortSignal): Promise<void> {
  if (!run.send.ok) return;
  await Promise.all(
    run.states
      .filter((s) => s.session)
      .map(async (st) => {
        const session = st.session!;
        try {
          st.found = await session.waitFor(run.token, signal, run.sendStartMs + session.path.fastPollMs);
        } catch (err) {
          if (isAbort(err, run.deps.signal)) throw err;
          if (err instanceof ProbeError) {
            st.error = { reason: err.code, detail: err.message };
            run.log.warn({ path: st.name, reason: err.code, detail: err.message }, "path failed while waiting");
          }
        }
      }),
  );
}

export async function runProbe(probe: ResolvedProbe, deps: RunDeps): Promise<ProbeResult> {
  const now = deps.now ?? Date.now;
  const log = deps.log.child({ probe: probe.name });
  const startedMs = now();
  const key = probe.tokenKey ? tokenKey(probe.tokenKey) : ephemeralTokenKey();
  const warnings: RunWarning[] = key.configured ? [] : [noTokenKeyWarning()];
  if (!key.configured) log.warn({ code: "no_token_key" }, warnings[0]!.message);
  const run: Run = {
    probe,
    deps,
    log,
    now,
    startedMs,
    token: newToken(key, startedMs),
    states: probe.paths.map((p) => ({ name: p.name })),
    send: { type: probe.sender.type, ok: false, attempts: 0, notes: [] },
    sendStartMs: 0,
  };
  let aborted = false;
  const { signal, dispose } = childSignal(deps.signal, probe.timeoutMs, `deadline of ${probe.timeoutMs / 1000} s`);
  try {
    await openPhase(run, signal);
    log.debug({ ms: now() - startedMs, open: run.states.filter((s) => s.session).length }, "paths open, sender ready");
    await sendPhase(run, signal);
    log.debug({ ms: now() - startedMs, ok: run.send.ok }, "send finished");
    await waitPhase(run, signal);
  } catch (err) {
    if (isAbort(err, deps.signal)) {
      aborted = true;
      log.warn({ detail: errText(deps.signal?.reason ?? err) }, "run aborted");
    } else {
      log.error({ err: errText(err), stack: err instanceof Error ? err.stack : undefined }, "internal error");
      for (const st of run.states) st.error ??= { reason: "internal_error", detail: errText(err) };
    }
  } finally {
    dispose();
  }
  log.debug({ ms: now() - startedMs }, "waiting finished");

  const budget = childSignal(undefined, CLEANUP_BUDGET_MS, "cleanup budget");
  let cleaned;
  try {
    cleaned = await cleanUp({ probe, key, token: run.token, states: run.states, send: run.send, sender: run.sender, aborted }, budget.signal);
  } finally {
    budget.dispose();
  }
  for (const e of cleaned.cleanup.errors) log.warn({ detail: e }, "cleanup problem");
  log.debug({ ms: now() - startedMs }, "cleanup finished");

  // Read while the paths opened; by now long answered (or aborted with the run's signal).
  const credits = await run.credits;
  if (credits !== undefined) run.send.credits = credits;
  return judge({ ...run, endedMs: now(), aborted, cleanup: cleaned.cleanup, diagnosis: cleaned.diagnosis, warnings });
}
