// The receiver contract: a Receiver opens a Session on one path (connect, login, select, remember
// where new mail starts); the run waits, looks, deletes and sweeps through the session only. IMAP is
// one entry of the registry; a second watched mailbox kind is another.
import type { ResolvedPath } from "../config/load.js";
import type { TokenKey } from "../core/token.js";
import { registerIn } from "../core/registry.js";
import { isOurs } from "./ownership.js";

export interface FoundMessage {
  uid: number;
  seenAtMs: number;
  headers: Buffer;
  mailbox: string;
  /** The evidence of ownership (./ownership.ts, checked again right before any removal): the X-Mailprobe-Token header's whole value… */
  tokenHeader?: string;
  /** …or, when the header is absent (a relay dropped it), the subject exactly as mailprobe wrote it… */
  subject?: string;
  /** …and the From address (lower-case), which must be the configured sender. */
  from?: string;
}

/** What a run claims of its own message (the ownership proof's run claim, less the selected mailbox). */
export interface OwnMessage {
  token: string;
  /** The configured sender. */
  from: string;
  probeName: string;
}

/** How a path removes probe messages: see receivers/imap-cleanup.ts. */
export type CleanupMode = "uid-expunge" | "moved-to-trash" | "left";

/** What one delete (or sweep) did. */
export interface CleanupAction {
  mode: CleanupMode;
  /** Gone from the watched mailbox (deleted or moved, by this action or already before it). */
  removed: boolean;
  /** Messages this action removed (0 when another path to the same mailbox had already removed it). */
  count: number;
  detail: string;
}

export interface SweepOptions {
  /** Without a configured key nothing can be proven: the sweep only counts look-alikes (format + sender), deletes nothing. */
  key?: TokenKey;
  from: string;
  /** The probe's name: the only subject that stands in for a dropped header is `mailprobe <name> <token>`. */
  probeName: string;
  /** The stale time of version-1 tokens and of unprovable look-alikes (version-2 tokens carry their own). */
  staleAfterMs: number;
  sweepDays: number;
}

export interface SweepResult {
  /** Stale probe messages removed (deleted or moved to the trash mailbox). */
  removed: number;
  /** Stale probe messages seen but not removed: left by the server's cleanup mode, failed, or unprovable (no key, or a MAC that fails). */
  leftBehind: number;
  /**
   * The identities (tokens) of the messages behind `leftBehind` and `removed`, so that a run sweeping one
   * mailbox through two listeners counts each message once (and not as left when another listener removed it).
   */
  leftIds?: string[];
  removedIds?: string[];
  detail?: string;
}

/** One step of a run, rehearsed by doctor on the open session (nothing changed on the server). */
export interface Rehearsal {
  check: string;
  status: "ok" | "warn" | "fail";
  detail: string;
  hint?: string;
}

/** A path's open session; how its steps fail: see Receiver (the convention in core/errors.ts). */
export interface Session {
  readonly path: ResolvedPath;
  readonly openMs: number;
  readonly idleSupported: boolean;
  readonly tlsCertNotAfter?: Date;
  /** How this server lets us remove probe messages (decided from its capabilities at open). */
  readonly cleanupMode: CleanupMode;
  /** Why that mode (said in results and by doctor). */
  readonly cleanupWhy: string;
  /** The watched mailbox as the server names it (resolved once at open: `inbox` is `INBOX`, `Junk` may be `INBOX.Junk`). */
  readonly mailbox: string;
  /** The junk mailbox as the server names it (configured, or flagged SPECIAL-USE \\Junk), if Junk is checked. */
  readonly junkMailbox?: string;
  /**
   * Waits until a message carrying `token` is in the mailbox (new since open, or a bounded look back
   * below it: the send runs alongside the open) or, when the path has a junk mailbox, in that one.
   */
  waitFor(token: string, signal: AbortSignal, fastUntilMs: number): Promise<FoundMessage>;
  /** How late the server tells an IDLE client of a change (ms), measured on a found message before its delete. */
  idleLagMs?(found: FoundMessage, signal: AbortSignal): Promise<number | undefined>;
  /** The commands this session has sent so far, by verb (debug log, benchmarks); optional. */
  commands?(): Record<string, number>;
  /** What the session had to give up while waiting (e.g. a junk mailbox it cannot read); optional. */
  notes?(): string[];
  /** Whether the connection can still carry commands (the last look runs on every usable session); optional. */
  usable?(): boolean;
  /** Looks once for `token` among messages that arrived since open, without waiting. */
  findNow(token: string, signal: AbortSignal): Promise<FoundMessage | undefined>;
  /** Looks for `token` in another mailbox (e.g. Junk) among recent messages. */
  findIn(mailbox: string, token: string, signal: AbortSignal): Promise<FoundMessage | undefined>;
  /** Removes a message as the server's cleanup mode allows, if it is still proven `own` right before; never plain EXPUNGE. */
  delete(found: FoundMessage, own: OwnMessage, signal: AbortSignal): Promise<CleanupAction>;
  /** Removes stale probe messages (watched and junk mailbox) that the ownership proof accepts. */
  sweep(opts: SweepOptions, signal: AbortSignal): Promise<SweepResult>;
  /** Doctor: runs every step a run depends on, on this session, and says how each went; optional. */
  rehearse?(signal: AbortSignal): Promise<Rehearsal[]>;
  close(): Promise<void>;
}

/**
 * Failures follow the convention in core/errors.ts: `open` and every Session step the run cannot go on
 * without reject with a ProbeError (a reason of the catalogue, the stage, the path) or the signal's
 * reason; `delete` and `sweep` return what they removed and what they left (and why) as data, and
 * reject only when they could not act at all.
 */
export interface Receiver {
  name: string;
  /** Opens a path; rejects with a ProbeError (imap_connect, imap_auth, tls, …) or the signal's reason. */
  open(path: ResolvedPath, signal: AbortSignal): Promise<Session>;
}

/** The ownership proof of a found message as found (the session checks it again, against the selected mailbox, before it removes). */
export function provenOwn(found: FoundMessage, own: OwnMessage): boolean {
  return isOurs(found, { kind: "run", ...own, selected: found.mailbox }).ours;
}

const RECEIVERS = new Map<string, Receiver>();

/** Adds a receiver (or replaces one of the same name). Returns the function that removes it again. */
export function registerReceiver(r: Receiver): () => void {
  return registerIn(RECEIVERS, r.name, r);
}

export function hasReceiver(name: string): boolean {
  return RECEIVERS.has(name);
}

/** A registered receiver by name; every path is IMAP today (the config has no receiver type yet). */
export function receiverNamed(name = "imap"): Receiver {
  const r = RECEIVERS.get(name);
  if (!r) throw new Error(`no receiver "${name}" is registered`);
  return r;
}
