// The one error type (nodemailer's model): a code from the reason catalogue, the stage that failed,
// the path it happened on, and the original error as `cause`. Plus the two helpers every floor
// needs: the text of any thrown value and the one TLS classifier (SMTP and IMAP share it).
import type { Reason } from "./reasons.js";

/*
 * THE FAILURE CONVENTION: how a plug-in fails. One rule for every contract (the sender, the
 * receiver and its session, the sink, the relay check); each contract's doc comment points here.
 *
 * 1. **A finding is data.** When the operation's answer is itself what the run reports — a send, a
 *    publish, a relay check, a verify — a failure of the peer is returned, not thrown: an outcome
 *    with `ok: false` (or a `state`) and a `reason` from the catalogue (core/reasons.ts) plus a
 *    `detail`. `SendOutcome`, `VerifyOutcome`, `SinkResult`, `RelayResult`.
 * 2. **A step the run cannot go on without throws a `ProbeError`.** Opening a path, waiting, looking,
 *    deleting, sweeping: the error carries the reason, the stage and the path, and the caller turns
 *    it into the path's reason (or a cleanup error) — never a crash.
 * 3. **An abort is the caller's.** When the caller's signal fires, a step of kind 2 rejects with the
 *    signal's reason (core/deadline.ts's `AbortedError`, `DeadlineError`) and the caller reports
 *    it (`aborted`, or the path's timeout); one of kind 1 returns it as its result (a send cut off
 *    by the deadline is `send_timeout`, a sink or relay check cut off says so in its detail). A
 *    step's own timeout (`StepTimeoutError`, naming the protocol) is a failure of the peer like any
 *    other: kind 1 returns it, kind 2 turns it into its ProbeError.
 * 4. **Anything else thrown is a bug**, reported as `internal_error` by the caller that catches it.
 *
 * A new contract method says in its doc comment which of 1 and 2 it follows ("never throws" or
 * "rejects with a ProbeError"); a caller relies on nothing else.
 */

export interface ProbeErrorOptions {
  /** Where it failed: `connect`, `mailbox`, `wait`, `send`, `tcp`, … */
  stage: string;
  /** The path (receiver) it happened on, when there is one. */
  path?: string;
  cause?: unknown;
  /** A system-style code of the underlying failure (ETIMEDOUT, CONNECT_TIMEOUT), when known. */
  errno?: string;
}

export class ProbeError extends Error {
  readonly code: Reason;
  readonly stage: string;
  readonly path?: string;
  readonly errno?: string;

  constructor(code: Reason, message: string, opts: ProbeErrorOptions) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "ProbeError";
    this.code = code;
    this.stage = opts.stage;
    this.path = opts.path;
    this.errno = opts.errno;
  }
}

/** The message of anything thrown, with its system code in front when the message lacks it. */
export function errText(err: unknown): string {
  const x = (err ?? {}) as { code?: unknown; message?: string };
  if (typeof x.message !== "string") return String(err);
  const sys = errnoOf(err);
  const code = sys && !x.message.includes(sys) ? `${sys}: ` : "";
  return `${code}${x.message}`;
}

/** The system code of an error (a ProbeError's errno, else a Node-style `code`). */
export function errnoOf(err: unknown): string | undefined {
  if (err instanceof ProbeError) return err.errno;
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}

const TLS_CODES = /^(ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_SSL_|HOSTNAME_MISMATCH)/;
const TLS_TEXT = /certificate|self[- ]signed|altnames?|unable to verify|wrong version number/i;

/** True when an error (Node socket, imapflow, nodemailer) is a failed TLS handshake or verification. */
export function isTlsError(err: unknown): boolean {
  const e = (err ?? {}) as { code?: unknown; message?: unknown; responseText?: unknown };
  if (typeof e.code === "string" && TLS_CODES.test(e.code)) return true;
  return TLS_TEXT.test([e.message, e.responseText].filter((v) => typeof v === "string").join(" "));
}
