// One probe cycle in phases: open every path and send at the same time, wait on each path as soon as
// it is open while the sender's event log is watched (wait.ts), clean up on a budget of its own, judge.
// Produces one immutable ProbeResult; it never touches metrics or output, and it never throws.
// Senders and receivers come from their registries; RunDeps can replace both (unit tests).
import { errorReport } from "../core/stack.js";
import type { ResolvedProbe } from "../config/load.js";
import { childSignal } from "../core/deadline.js";
import { errText } from "../core/errors.js";
import type { ProbeResult, RunWarning } from "../core/result.js";
import { ephemeralTokenKey, newToken, noTokenKeyWarning, tokenKey } from "../core/token.js";
import { checkRelay, readCertificate } from "../net/smtp-relay.js";
import { cleanUp } from "./cleanup.js";
import { senderCertTarget } from "./listeners.js";
import { judge } from "./judge.js";
import { isAbort, openSendWait, type Run, type RunDeps } from "./wait.js";

export { CREDITS_TIMEOUT_MS } from "./wait.js";
export type { RunDeps };

/** Time cleanup (deletes, stale sweep, diagnosis, logout) may take after the deadline or an abort. */
export const CLEANUP_BUDGET_MS = 10_000;

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
    token: newToken(key, startedMs, probe.staleAfterMs),
    states: probe.paths.map((p) => ({ name: p.name })),
    send: { type: probe.sender.type, ok: false, attempts: 0, notes: [] },
    sendStartMs: 0,
  };
  let aborted = false;
  // The relay check needs no message: it runs beside the whole cycle, on its own timeouts, and
  // never past the cycle's deadline.
  const relaySignal = AbortSignal.any([AbortSignal.timeout(probe.timeoutMs), ...(deps.signal ? [deps.signal] : [])]);
  const relay = probe.relayCheck?.length
    ? Promise.all(probe.relayCheck.map((r) => checkRelay(r, relaySignal).then((x) => (r.from === "lan" ? { ...x, from: "lan" as const } : x))))
    : Promise.resolve(undefined);
  const certTarget = senderCertTarget("sender", probe.sender);
  const senderCert = certTarget ? readCertificate(certTarget, relaySignal) : Promise.resolve(undefined);
  const { signal, dispose } = childSignal(deps.signal, probe.timeoutMs, `deadline of ${probe.timeoutMs / 1000} s`);
  try {
    await openSendWait(run, signal);
  } catch (err) {
    if (isAbort(err, deps.signal)) {
      aborted = true;
      log.warn({ detail: errText(deps.signal?.reason ?? err) }, "run aborted");
    } else {
      log.error({ err: errText(err), stack: err instanceof Error ? errorReport(err) : undefined }, "internal error");
      for (const st of run.states) st.error ??= { reason: "internal_error", detail: errText(err) };
    }
  } finally {
    dispose();
  }

  const budget = childSignal(undefined, CLEANUP_BUDGET_MS, "cleanup budget");
  let cleaned;
  try {
    cleaned = await cleanUp(
      { probe, key, token: run.token, states: run.states, send: run.send, sender: run.sender, upstream: run.upstream, aborted, idleLags: deps.idleLags },
      budget.signal,
    );
  } finally {
    budget.dispose();
  }
  for (const e of cleaned.cleanup.errors) log.warn({ detail: e }, "cleanup problem");
  if (cleaned.idleLag) log.info(cleaned.idleLag, "IDLE lag measured: later cycles poll fast on this path only if it is over 100 ms");
  for (const st of run.states) {
    const commands = st.session?.commands?.();
    if (commands) log.debug({ path: st.name, total: Object.values(commands).reduce((a, b) => a + b, 0), commands }, "IMAP commands sent");
  }
  log.debug({ ms: now() - startedMs }, "cleanup finished");

  // Read while the paths opened; by now long answered (or aborted with the run's signal).
  const credits = await run.credits;
  if (credits !== undefined) run.send.credits = credits;
  const relayResults = await relay;
  for (const r of relayResults ?? []) if (r.state !== "refused") log.warn({ entry: r.entry, state: r.state, detail: r.detail }, "relay check");
  const cert = (await senderCert)?.certNotAfter;
  const smtpCerts = cert ? [{ listener: "sender", notAfter: cert }] : undefined;
  return judge({ ...run, endedMs: now(), aborted, cleanup: cleaned.cleanup, diagnosis: cleaned.diagnosis, relay: relayResults, smtpCerts, warnings });
}
