// What serve and watch learn across cycles of how late each path's server announces new mail over
// IDLE: a path whose IDLE is prompt waits in IDLE from the start; where it is slow (Dovecot 2.3: a
// fixed 500 ms), or not known yet, the run polls fast while the message is expected. A one-shot run
// has no memory and always polls fast. One object per process, handed in through RunDeps.

/** IDLE announcing a change within this is as good as fast polls. */
export const IDLE_PROMPT_MS = 100;
/** Measure a path again after this long (a server upgrade or a config change may change it). */
export const IDLE_RELEARN_MS = 6 * 3_600_000;

export interface IdleLagMemory {
  /** The last measured lag (ms) of a path, if any. */
  lagMs(key: string): number | undefined;
  /** Whether the path should be measured now (never measured, or measured too long ago). */
  due(key: string, nowMs: number): boolean;
  learn(key: string, lagMs: number, nowMs: number): void;
}

export function createIdleLagMemory(): IdleLagMemory {
  const known = new Map<string, { lagMs: number; atMs: number }>();
  return {
    lagMs: (key) => known.get(key)?.lagMs,
    due: (key, nowMs) => {
      const k = known.get(key);
      return !k || nowMs - k.atMs > IDLE_RELEARN_MS;
    },
    learn: (key, lagMs, nowMs) => void known.set(key, { lagMs, atMs: nowMs }),
  };
}

/** The memory's key of a path. */
export const idleKey = (probe: string, path: string) => `${probe}/${path}`;

/** Until when the run polls fast on a path: not at all where IDLE is known to be prompt. */
export function fastUntil(memory: IdleLagMemory | undefined, key: string, startedMs: number, fastPollMs: number): number {
  const lag = memory?.lagMs(key);
  return lag !== undefined && lag <= IDLE_PROMPT_MS ? startedMs : startedMs + fastPollMs;
}
