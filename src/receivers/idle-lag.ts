// How late this server announces a change to an IDLE client (serve and watch learn it per path and
// poll fast only where IDLE is slow). Measured on the probe's own message before it is deleted: a
// second session IDLEs on the mailbox, the run's session flags the message, and the lag is the time
// from the STORE's answer to the IDLE session's FETCH. Dovecot 2.3 waits a fixed 500 ms before it
// tells an IDLE client (NOTIFY_DELAY_MSECS, src/lib-storage/mailbox-watch.c).
import type { ImapFlow } from "imapflow";
import { raceSignal } from "../core/deadline.js";

/** Give up measuring after this long (the lag is then "slow"). */
export const IDLE_LAG_LIMIT_MS = 3000;

/** Settle time for the IDLE command to reach the server before the change is made. */
const IDLE_SETTLE_MS = 100;

/**
 * The lag in ms (IDLE_LAG_LIMIT_MS when no news came in time); `watcher` opens the second session,
 * `flag` makes the change on the run's session (a \Flagged STORE, through its mailbox check).
 */
export async function measureIdleLag(
  watcher: (signal: AbortSignal) => Promise<ImapFlow>,
  mailbox: string,
  flag: (signal: AbortSignal) => Promise<unknown>,
  signal: AbortSignal,
): Promise<number> {
  // The watcher closes its session itself when the signal aborts while it opens.
  const b = await raceSignal(watcher(signal), signal);
  let timer: NodeJS.Timeout | undefined;
  try {
    await raceSignal(b.mailboxOpen(mailbox, { readOnly: true }), signal);
    let changedAt = 0;
    const told = new Promise<number>((resolve) => {
      b.on("flags", () => changedAt && resolve(Date.now() - changedAt));
      timer = setTimeout(() => resolve(IDLE_LAG_LIMIT_MS), IDLE_LAG_LIMIT_MS + IDLE_SETTLE_MS);
    });
    b.idle().catch(() => undefined);
    await new Promise((r) => setTimeout(r, IDLE_SETTLE_MS));
    changedAt = Date.now();
    await raceSignal(flag(signal), signal);
    return Math.min(await raceSignal(told, signal), IDLE_LAG_LIMIT_MS);
  } finally {
    clearTimeout(timer);
    b.close();
  }
}
