import { setMaxListeners } from "node:events";
import { ProbeError } from "./errors.js";

// Timing helpers: every wait in mailprobe is bounded by an AbortSignal.

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    const t = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** Races a promise against a signal; the loser is left to settle (and its rejection is handled). */
export function raceSignal<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    p.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/** A signal that aborts when the parent does or after `ms`; `dispose` clears its timer. */
export function childSignal(parent: AbortSignal | undefined, ms: number, reason = "deadline"): { signal: AbortSignal; dispose: () => void } {
  const ctl = new AbortController();
  // Every path and the sender listen on a run's signal: 20 paths are no leak to warn about.
  setMaxListeners(0, ctl.signal);
  const t = setTimeout(() => ctl.abort(new DeadlineError(reason)), Math.max(0, ms));
  const onAbort = () => ctl.abort(parent!.reason);
  if (parent?.aborted) ctl.abort(parent.reason);
  else parent?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: ctl.signal,
    dispose: () => {
      clearTimeout(t);
      parent?.removeEventListener("abort", onAbort);
    },
  };
}

/**
 * A deadline's abort reason. Not a ProbeError: what a deadline means depends on what it cut (a
 * path unseen is not_delivered, a sender send_timeout), and the phase that catches it decides.
 */
export class DeadlineError extends Error {
  constructor(what: string) {
    super(`${what} reached`);
    this.name = "DeadlineError";
  }
}

/** The reason a run was interrupted from outside (SIGTERM, SIGINT, shutdown): a ProbeError coded `aborted`. */
export class AbortedError extends ProbeError {
  constructor(why: string) {
    super("aborted", why, { stage: "run" });
    this.name = "AbortedError";
  }
}

/**
 * A send cut off by `signal`: an outside abort (SIGTERM, shutdown) is thrown on as it is; a
 * deadline is the sender's own timeout, named with what it cut and how long it had — never an
 * internal error, never a thrown DeadlineError (issue 18 case 8).
 */
export function sendCutOff(signal: AbortSignal, what: string, startedMs: number): { ok: false; reason: "send_timeout"; detail: string } {
  if (signal.reason instanceof AbortedError) throw signal.reason;
  const why = signal.reason instanceof Error ? signal.reason.message : "deadline reached";
  return { ok: false, reason: "send_timeout", detail: `${what}: no complete answer within ${((Date.now() - startedMs) / 1000).toFixed(1)} s (${why})` };
}

/** The protocol a connection or one of its steps speaks: its timeout names it (not every TCP timeout is IMAP's). */
export type Protocol = "IMAP" | "SMTP" | "HTTP" | "DNS";

/** The `code` of a TCP connect that timed out (a SYN never answered); any later step's is ETIMEDOUT. */
export const CONNECT_TIMEOUT = "CONNECT_TIMEOUT";

/**
 * A connect, or one step of a protocol (greeting, STARTTLS, TLS handshake, lookup), that did not end
 * within its own timeout: "SMTP connect to mx:25 timed out after 5 s". Like DeadlineError it is no
 * ProbeError: what it means depends on what it cut, and the step that catches it decides (a doctor
 * check's detail, the SMTP sender's send_timeout, a path's imap_connect). `code` is system-style
 * (CONNECT_TIMEOUT, ETIMEDOUT), so errnoOf and the hints and classifiers that read it see it.
 */
export class StepTimeoutError extends Error {
  readonly code: string;
  readonly protocol: Protocol;
  readonly timeoutMs: number;
  constructor(protocol: Protocol, step: string, timeoutMs: number, code = "ETIMEDOUT") {
    super(`${protocol} ${step} timed out after ${timeoutMs >= 1000 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`}`);
    this.name = "StepTimeoutError";
    this.code = code;
    this.protocol = protocol;
    this.timeoutMs = timeoutMs;
  }
}
