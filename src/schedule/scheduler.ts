// In-process scheduling for `serve`: one cron task per probe, never two cycles of the same probe at
// once (an overrun is skipped and counted, not queued), and a stop that lets running cycles finish
// or aborts them at a grace period.
import cron, { type ScheduledTask } from "node-cron";
import { AbortedError } from "../core/deadline.js";

/** How long before the end of the shutdown grace running cycles are aborted (at most half the grace). */
export const ABORT_MARGIN_MS = 5000;

export interface SchedulerOptions<R> {
  /** Probe name → cron expression (5 fields, or 6 with seconds). */
  schedules: Record<string, string>;
  run: (probe: string, signal: AbortSignal) => Promise<R>;
  onOverrun?: (probe: string) => void;
}

export interface Scheduler<R> {
  start(): void;
  /** Runs a probe now unless it is already running (then undefined). */
  trigger(probe: string): Promise<R> | undefined;
  running(): string[];
  readonly started: boolean;
  /**
   * Stops scheduling and gives up after `graceMs` whatever the cycles do: waits for running cycles,
   * aborts them ABORT_MARGIN_MS before the end (so that they can still clean up and report), and
   * returns at `graceMs` at the latest.
   */
  stop(graceMs: number): Promise<void>;
}

export function createScheduler<R>(o: SchedulerOptions<R>): Scheduler<R> {
  const active = new Map<string, { promise: Promise<R>; ctl: AbortController }>();
  const tasks: ScheduledTask[] = [];
  let started = false;
  let stopping = false;

  function launch(probe: string): Promise<R> | undefined {
    if (stopping || active.has(probe)) return undefined;
    const ctl = new AbortController();
    const promise = o.run(probe, ctl.signal).finally(() => active.delete(probe));
    active.set(probe, { promise, ctl });
    return promise;
  }

  return {
    start() {
      for (const [probe, expr] of Object.entries(o.schedules)) {
        tasks.push(
          cron.schedule(expr, () => {
            if (launch(probe) === undefined && !stopping) o.onOverrun?.(probe);
          }),
        );
      }
      started = true;
    },
    trigger: launch,
    running: () => [...active.keys()],
    get started() {
      return started && !stopping;
    },
    async stop(graceMs) {
      stopping = true;
      await Promise.all(tasks.map((t) => t.destroy()));
      const all = () => Promise.allSettled([...active.values()].map((a) => a.promise));
      const margin = Math.min(ABORT_MARGIN_MS, graceMs / 2);
      const timer = (ms: number) => new Promise<"grace">((r) => setTimeout(() => r("grace"), ms).unref());
      if ((await Promise.race([all(), timer(graceMs - margin)])) === "grace") {
        for (const a of active.values()) a.ctl.abort(new AbortedError("shutdown grace period over"));
        await Promise.race([all(), timer(margin)]);
      }
    },
  };
}
