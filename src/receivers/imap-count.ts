// Counts the IMAP commands a session sends, by verb (`UID FETCH`, `NOOP`, …), from imapflow's own
// command log: nothing is logged or kept but the counts (the log line of LOGIN is masked anyway).
import type { Logger } from "imapflow";

export interface CommandCounter {
  /** imapflow's `logger` option: takes debug entries only. */
  logger: Logger;
  counts(): Record<string, number>;
}

export function commandCounter(): CommandCounter {
  const counts: Record<string, number> = {};
  const ignore = () => undefined;
  return {
    logger: {
      // imapflow asks this before building a log entry: only command lines are worth building.
      isLevelEnabled: (level: string) => level === "debug",
      debug(entry: object) {
        // Client lines are "TAG VERB …" (continuations and IDLE's DONE have no tag and verb).
        const e = entry as { src?: string; msg?: unknown };
        if (e?.src !== "c" || typeof e.msg !== "string") return;
        const m = /^\S+ (UID \S+|[A-Z]+)/.exec(e.msg);
        if (m) counts[m[1]!] = (counts[m[1]!] ?? 0) + 1;
      },
      trace: ignore,
      info: ignore,
      warn: ignore,
      error: ignore,
      fatal: ignore,
    } as Logger,
    counts: () => ({ ...counts }),
  };
}
