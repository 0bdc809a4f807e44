// One probe cycle in phases: open every path and send at the same time, wait on each path as soon as
// it is open while the sender's event log is watched (wait.ts), clean up on a budget of its own, judge.
// Produces one immutable ProbeResult; it never touches metrics or output. It owns opening and
// closing: whatever a phase does, closeRun closes every session and the sender (state.ts holds the
// run's state). Senders and receivers come from their registries; RunDeps can replace both (unit tests).
import { errorReport } from "../core/stack.js";
import type { ResolvedProbe } from "../config/load.js";
import { childSignal } from "../core/deadline.js";
import { errText } from "../core/errors.js";
import type { ProbeResult, RunWarning } from "../core/result.js";
import { ephemeralTokenKey, newToken, noTokenKeyWarning, tokenKey, type TokenKey } from "../core/token.js";
import { checkRelay, readCertificate } from "../net/smtp-relay.js";
import { cleanUp, type CleanupOutput } from "./cleanup.js";
import { senderCertTarget } from "./listeners.js";
import { judge } from "./judge.js";
import { closeQuietly, type Run, type RunDeps } from "./state.js";
import { isAbort, openSendWait } from "./wait.js";

export { CREDITS_TIMEOUT_MS } from "./wait.js";
export type { RunDeps };

/** Time cleanup (deletes, stale sweep, diagnosis, logout) may take after the deadline or an abort. */
export const CLEANUP_BUDGET_MS = 10_000;

/** A new run's state: its token, one state per path, nothing open yet. */
function newRun(probe: ResolvedProbe, deps: RunDeps): { run: Run; key: TokenKey; warnings: RunWarning[] } {
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
    token: newToken(key, startedMs, probe.staleAfterMs),
    states: probe.paths.map((p) => ({ name: p.name })),
    send: { type: probe.sender.type, ok: false, attempts: 0, notes: [] },
    sendStartMs: 0,
  };
  return { run, key, warnings };
}

/** Opens, sends and waits under the run's deadline; true when an outside abort ended it. */
async function openSendWaitPhase(run: Run): Promise<boolean> {
  const { deps, log, probe } = run;
  const { signal, dispose } = childSignal(deps.signal, probe.timeoutMs, `deadline of ${probe.timeoutMs / 1000} s`);
  try {
    await openSendWait(run, signal);
    return false;
  } catch (err) {
    if (isAbort(err, deps.signal)) {
      log.warn({ detail: errText(deps.signal?.reason ?? err) }, "run aborted");
      return true;
    }
    log.error({ err: errText(err), stack: err instanceof Error ? errorReport(err) : undefined }, "internal error");
    for (const st of run.states) st.error ??= { reason: "internal_error", detail: errText(err) };
    return false;
  } finally {
    dispose();
  }
}

/** Cleans up on a budget of its own (after the deadline, after an abort). */
async function cleanupPhase(run: Run, key: TokenKey, aborted: boolean): Promise<CleanupOutput> {
  const { probe, log } = run;
  const budget = childSignal(undefined, CLEANUP_BUDGET_MS, "cleanup budget");
  let cleaned;
  try {
    const input = {
      probe,
      key,
      token: run.token,
      states: run.states,
      send: run.send,
      sender: run.sender,
      upstream: run.upstream,
      aborted,
      idleLags: run.deps.idleLags,
    };
    cleaned = await cleanUp(input, budget.signal);
  } finally {
    budget.dispose();
  }
  for (const e of cleaned.cleanup.errors) log.warn({ detail: e }, "cleanup problem");
  if (cleaned.idleLag) log.info(cleaned.idleLag, "IDLE lag measured: later cycles poll fast on this path only if it is over 100 ms");
  for (const st of run.states) {
    const commands = st.session?.commands?.();
    if (commands) log.debug({ path: st.name, total: Object.values(commands).reduce((a, b) => a + b, 0), commands }, "IMAP commands sent");
  }
  log.debug({ ms: run.now() - run.startedMs }, "cleanup finished");
  return cleaned;
}

/**
 * Closes every session and the sender, each once and whatever the others do (a failed close is
 * logged). From now on a session or sender still being opened is closed when it arrives (wait.ts).
 */
export async function closeRun(run: Run): Promise<void> {
  run.closed = true;
  await Promise.all([...run.states.map((st) => closeQuietly(run, `path ${st.name}`, st.session)), closeQuietly(run, "sender", run.sender)]);
}

export async function runProbe(probe: ResolvedProbe, deps: RunDeps): Promise<ProbeResult> {
  const { run, key, warnings } = newRun(probe, deps);
  // The relay check needs no message: it runs beside the whole cycle, on its own timeouts, and
  // never past the cycle's deadline.
  const relaySignal = AbortSignal.any([AbortSignal.timeout(probe.timeoutMs), ...(deps.signal ? [deps.signal] : [])]);
  const relay = probe.relayCheck?.length
    ? Promise.all(probe.relayCheck.map((r) => checkRelay(r, relaySignal).then((x) => (r.from === "lan" ? { ...x, from: "lan" as const } : x))))
    : Promise.resolve(undefined);
  const certTarget = senderCertTarget("sender", probe.sender);
  const senderCert = certTarget ? readCertificate(certTarget, relaySignal) : Promise.resolve(undefined);
  let aborted = false;
  let cleaned: CleanupOutput;
  try {
    aborted = await openSendWaitPhase(run);
    cleaned = await cleanupPhase(run, key, aborted);
  } finally {
    await closeRun(run);
  }

  // Read while the paths opened; by now long answered (or aborted with the run's signal).
  const credits = await run.credits;
  if (credits !== undefined) run.send.credits = credits;
  const relayResults = await relay;
  for (const r of relayResults ?? []) if (r.state !== "refused") run.log.warn({ entry: r.entry, state: r.state, detail: r.detail }, "relay check");
  const cert = (await senderCert)?.certNotAfter;
  const smtpCerts = cert ? [{ listener: "sender", notAfter: cert }] : undefined;
  const { cleanup, diagnosis } = cleaned;
  return judge({ ...run, endedMs: run.now(), aborted, cleanup, diagnosis, relay: relayResults, smtpCerts, warnings });
}
