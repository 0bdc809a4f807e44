// The log levels and the MAILPROBE_LOG_LEVEL override, apart from the logger itself: a command that
// writes no log lines (validate) checks the override without loading pino (docs/benchmarks.md §0).
import type { Logger } from "pino";

/** pino's levels: config `log.level` and the MAILPROBE_LOG_LEVEL override accept these. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** The MAILPROBE_LOG_LEVEL override (empty: none), or the error naming it when it is not a level. */
export function envLogLevel(value: string | undefined): { level?: string; error?: string } {
  if (!value) return {};
  if ((LOG_LEVELS as readonly string[]).includes(value)) return { level: value };
  return { error: `MAILPROBE_LOG_LEVEL: "${value}" is not a log level; use one of ${LOG_LEVELS.join(", ")} (or unset it to use the config's log.level)` };
}

/** Whether a logger at `level` writes debug lines. */
export const debugging = (level: string) => level === "debug" || level === "trace";

/**
 * The logger of a command whose only log lines are debug lines (validate), when debug is off: every
 * call does nothing. pino (with worker_threads, streams and assert) is ~40 ms of CPU at start.
 */
export function silentLogger(): Logger {
  const noop = () => undefined;
  const log: Record<string, unknown> = { level: "silent", isLevelEnabled: () => false, flush: noop, child: () => log };
  for (const l of LOG_LEVELS) log[l] = noop;
  return log as unknown as Logger;
}
