// How many IMAP sessions may be open at once per server host and login: a counting semaphore per key,
// first come first served. One per process (run, serve, watch), shared by every probe and cycle, so
// that tens of probes to one server never pass the server's own limit (Dovecot's
// mail_max_userip_connections, 10 per user and client address by default). Pure: no I/O, no timers.
//
// Why FIFO per key is enough to never deadlock: a run asks for all its paths' slots in one
// synchronous stretch (wait.ts opens every path at once), so its requests are never interleaved with
// another run's. A run waits only behind requests made before its own, whose runs wait only behind
// earlier ones still: the oldest run always gets every slot it asked for, finishes, and releases them.
// A single run needing more slots than the cap on one key would wait on itself: the config refuses it.

/** The default cap: below Dovecot's default of 10, leaving room for the operator's own mail clients. */
export const DEFAULT_SESSIONS_PER_USER = 4;
export const MAX_SESSIONS_PER_USER = 1000;
/**
 * Opens (TCP + TLS handshake + LOGIN) in progress at once per process, whatever the key: 50 probes
 * of 2 paths each otherwise start 100 handshakes in one tick, and on 2 loaded cores most of them
 * missed their connect timeout (bench/scale-probes.ts). A turn is held only for the open itself, at
 * most for the path's connect timeout (probe/slot-open.ts).
 */
export const OPENS_AT_ONCE = 8;

export interface SessionSlots {
  /** The cap per key. */
  readonly perKey: number;
  /**
   * Resolves with the slot's release (idempotent) when a slot of `key` is free; rejects with the
   * signal's reason when it aborts first (the request leaves the queue).
   */
  acquire(key: string, signal?: AbortSignal): Promise<() => void>;
  /** Slots of `key` in use now. */
  inUse(key: string): number;
  /** The most slots any one key had in use at once since this object was made (benchmarks, tests). */
  peak(): number;
  /** A turn to open a session (at most `opensAtOnce` at once, first come first served); same contract as `acquire`. */
  openTurn(signal?: AbortSignal): Promise<() => void>;
  /** The most turns held at once (benchmarks, tests). */
  peakOpens(): number;
}

interface Waiter {
  grant: (release: () => void) => void;
}

/**
 * The key of a path: its login at its server host (what the server's per-user limit counts), both
 * lower-cased: host names are case-insensitive and Dovecot lower-cases the user (%Lu) by default.
 */
export function slotKey(path: { user: string; host: string }): string {
  return `${path.user.toLowerCase()}\u0000${path.host.toLowerCase()}`;
}

export function createSessionSlots(perKey: number = DEFAULT_SESSIONS_PER_USER, opensAtOnce: number = OPENS_AT_ONCE): SessionSlots {
  const sessions = keyedSemaphore(perKey);
  const turns = keyedSemaphore(opensAtOnce);
  return { ...sessions, perKey, openTurn: (signal) => turns.acquire("", signal), peakOpens: turns.peak };
}

type Keyed = Pick<SessionSlots, "acquire" | "inUse" | "peak">;

function keyedSemaphore(perKey: number): Keyed {
  if (!Number.isInteger(perKey) || perKey < 1) throw new RangeError(`sessions per key must be a positive integer, not ${perKey}`);
  const used = new Map<string, number>();
  const queues = new Map<string, Waiter[]>();
  let peak = 0;

  const take = (key: string): (() => void) => {
    const n = (used.get(key) ?? 0) + 1;
    used.set(key, n);
    peak = Math.max(peak, n);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = used.get(key)! - 1;
      if (left) used.set(key, left);
      else used.delete(key);
      const next = queues.get(key)?.shift();
      if (queues.get(key)?.length === 0) queues.delete(key);
      next?.grant(take(key));
    };
  };

  return {
    acquire(key, signal) {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if ((used.get(key) ?? 0) < perKey && !queues.has(key)) return Promise.resolve(take(key));
      return new Promise((resolve, reject) => {
        const onAbort = () => {
          const q = queues.get(key) ?? [];
          q.splice(q.indexOf(waiter), 1);
          if (!q.length) queues.delete(key);
          reject(signal!.reason);
        };
        const waiter: Waiter = {
          grant: (release) => {
            signal?.removeEventListener("abort", onAbort);
            resolve(release);
          },
        };
        let q = queues.get(key);
        if (!q) queues.set(key, (q = []));
        q.push(waiter);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
    inUse: (key) => used.get(key) ?? 0,
    peak: () => peak,
  };
}
