// The receiver contract: a Receiver opens a Session on one path (connect, login, select, remember
// where new mail starts); the run waits, looks, deletes and sweeps through the session only. IMAP is
// one entry of the registry; a second watched mailbox kind is another.
import type { ResolvedPath } from "../config/load.js";
import type { TokenKey } from "../core/token.js";

export interface FoundMessage {
  uid: number;
  seenAtMs: number;
  headers: Buffer;
  mailbox: string;
}

export interface SweepOptions {
  key: TokenKey;
  from: string;
  staleAfterMs: number;
  sweepDays: number;
}

export interface Session {
  readonly path: ResolvedPath;
  readonly openMs: number;
  readonly idleSupported: boolean;
  readonly tlsCertNotAfter?: Date;
  /**
   * Waits until a message carrying `token` is in the mailbox (new since open, or a bounded look back
   * below it: the send runs alongside the open) or, when the path has a junk mailbox, in that one.
   */
  waitFor(token: string, signal: AbortSignal, fastUntilMs: number): Promise<FoundMessage>;
  /** How late the server tells an IDLE client of a change (ms), measured on a found message before its delete. */
  idleLagMs?(found: FoundMessage, signal: AbortSignal): Promise<number | undefined>;
  /** The commands this session has sent so far, by verb (debug log, benchmarks); optional. */
  commands?(): Record<string, number>;
  /** Looks once for `token` among messages that arrived since open, without waiting. */
  findNow(token: string, signal: AbortSignal): Promise<FoundMessage | undefined>;
  /** Looks for `token` in another mailbox (e.g. Junk) among recent messages. */
  findIn(mailbox: string, token: string, signal: AbortSignal): Promise<FoundMessage | undefined>;
  delete(found: FoundMessage, signal: AbortSignal): Promise<boolean>;
  /** Deletes probe messages older than `staleAfterMs` whose token verifies and whose sender is ours. */
  sweep(opts: SweepOptions, signal: AbortSignal): Promise<number>;
  close(): Promise<void>;
}

export interface Receiver {
  name: string;
  /** Opens a path; rejects with a ProbeError (imap_connect, imap_auth, tls, …) or the signal's reason. */
  open(path: ResolvedPath, signal: AbortSignal): Promise<Session>;
}

const RECEIVERS = new Map<string, Receiver>();

export function registerReceiver(r: Receiver): void {
  RECEIVERS.set(r.name, r);
}

/** The receiver of a path (every path is IMAP today: the config has no receiver type yet). */
export function receiverFor(_path: ResolvedPath, name = "imap"): Receiver {
  const r = RECEIVERS.get(name);
  if (!r) throw new Error(`no receiver "${name}" is registered`);
  return r;
}
