// Waiting for the probe's token on one open IMAP session: a one-command look back below the UIDNEXT
// seen at open (the send runs alongside the open, so the message may be there already), fast NOOP
// polls while the message is expected, then IDLE or slow polls; and, on the same session, a STATUS
// of the Junk mailbox at the start and then by the clock, so that a Junk landing ends the wait instead
// of the deadline (by the clock, not every n polls: on a server at ~1 s a command, 25 polls took ~30 s).
import type { ImapFlow } from "imapflow";
import { raceSignal, sleep } from "../core/deadline.js";
import { TOKEN_HEADER } from "../core/token.js";
import type { FoundMessage } from "./session.js";

/** Poll interval once the fast window is over, on servers without IDLE. */
export const SLOW_POLL_MS = 2000;
/** While in IDLE, re-check anyway this often (a lost EXISTS must not cost the whole deadline). */
export const IDLE_RECHECK_MS = 5000;
/**
 * How many UIDs below UIDNEXT one `UID SEARCH` looks back for a message that arrived before the
 * mailbox was opened (or before Junk was first asked). 64 covers a busy mailbox's deliveries during
 * an open while the server's search stays ~1 ms at 100,000 messages (docs/benchmarks.md).
 */
export const LOOK_BACK_UIDS = 64;
/** Junk's STATUS during the fast window: at the start of the wait, then at least this long apart. */
export const JUNK_STATUS_FAST_MS = 500;
/** Junk's STATUS once polls are slow or the session IDLEs. */
export const JUNK_STATUS_SLOW_MS = 1000;

/** What the wait needs of its session. */
export interface WaitSession {
  client: ImapFlow;
  /** The watched mailbox and the junk mailbox (resolved names; no junk: no Junk checks). */
  mailbox: string;
  junkMailbox?: string;
  pollIntervalMs: number;
  idleSupported: boolean;
  /** The first UID that arrived after the open (UIDNEXT at SELECT). */
  openUidNext: number;
  /** Fetches only UIDs not scanned yet and returns the token's message if among them. */
  findNew(token: string, signal: AbortSignal): Promise<FoundMessage | undefined>;
  /** One `UID SEARCH UID from:* HEADER X-Mailprobe-Token token` in `mailbox`. */
  searchFrom(mailbox: string, fromUid: number, token: string, signal: AbortSignal): Promise<FoundMessage | undefined>;
  /** Records a command in flight (the session's cleanup waits for it when the wait is abandoned). */
  track<T>(p: Promise<T>): Promise<T>;
  /** The junk mailbox cannot be read (absent, misnamed): the wait goes on without it; the session says why. */
  junkFailed(detail: string): void;
}

const lookBackFrom = (uidNext: number) => Math.max(1, uidNext - LOOK_BACK_UIDS);

export async function waitForToken(ws: WaitSession, token: string, signal: AbortSignal, fastUntilMs: number): Promise<FoundMessage> {
  const { client, idleSupported, track } = ws;
  let dirty = true;
  let wake: (() => void) | undefined;
  const onExists = () => {
    dirty = true;
    wake?.();
  };
  client.on("exists", onExists);
  const abortWait = () => wake?.();
  signal.addEventListener("abort", abortWait);
  let junk = ws.junkMailbox; // cleared when Junk cannot be read: a missing Junk must not fail the wait
  let junkSeen: { messages: number; uidNext: number } | undefined;
  let junkAtMs = 0; // never asked yet: the first pass asks at once

  /** STATUS Junk; on a change (or anything there at the first look), one bounded search for the token. */
  async function checkJunk(): Promise<FoundMessage | undefined> {
    junkAtMs = Date.now();
    const box = junk!;
    let st: Awaited<ReturnType<ImapFlow["status"]>>;
    try {
      st = await raceSignal(track(client.status(box, { messages: true, uidNext: true })), signal);
    } catch (err) {
      if (signal.aborted) throw err;
      junk = undefined;
      ws.junkFailed(
        `junk mailbox "${box}" cannot be read (${junkError(err)}): Junk checks are off for this run; check junkMailbox (imap.junkMailbox or the path's)`,
      );
      return undefined;
    }
    const messages = (st && st.messages) || 0;
    const uidNext = (st && st.uidNext) || 1;
    const changed = junkSeen ? junkSeen.uidNext !== uidNext || junkSeen.messages !== messages : messages > 0;
    const from = junkSeen ? junkSeen.uidNext : lookBackFrom(uidNext);
    junkSeen = { messages, uidNext };
    if (!changed) return undefined;
    dirty = true; // the watched mailbox is selected again afterwards: look at it too
    return ws.searchFrom(box, from, token, signal);
  }

  try {
    const early = await ws.searchFrom(ws.mailbox, lookBackFrom(ws.openUidNext), token, signal);
    if (early) return early;
    for (;;) {
      if (signal.aborted) throw signal.reason;
      if (dirty) {
        dirty = false;
        const hit = await ws.findNew(token, signal);
        if (hit) return hit;
      }
      const fast = Date.now() < fastUntilMs;
      if (junk && Date.now() - junkAtMs >= (fast ? JUNK_STATUS_FAST_MS : JUNK_STATUS_SLOW_MS)) {
        const hit = await checkJunk();
        if (hit) return hit;
      }
      if (fast || !idleSupported) {
        await sleep(fast ? ws.pollIntervalMs : junk ? Math.min(SLOW_POLL_MS, JUNK_STATUS_SLOW_MS) : SLOW_POLL_MS, signal);
        // NOOP makes the server report new messages (EXISTS), which sets `dirty`.
        await raceSignal(track(client.noop()), signal);
        continue;
      }
      // IDLE until EXISTS arrives or the re-check timer fires; the next command ends IDLE.
      client.idle().catch(() => undefined);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, junk ? JUNK_STATUS_SLOW_MS : IDLE_RECHECK_MS);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = undefined;
      dirty = true;
    }
  } finally {
    client.off("exists", onExists);
    signal.removeEventListener("abort", abortWait);
  }
}

export function junkError(err: unknown): string {
  const e = (err ?? {}) as { message?: string; responseText?: string; serverResponseCode?: string };
  return [e.serverResponseCode, e.responseText ?? e.message].filter(Boolean).join(": ") || String(err);
}

/** The search the look back and Junk use: the server filters, one command, flat in mailbox size. */
export function tokenSearch(fromUid: number, token: string): { uid: string; header: Record<string, string> } {
  return { uid: `${fromUid}:*`, header: { [TOKEN_HEADER.toLowerCase()]: token } };
}
