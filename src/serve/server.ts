// `serve`: the probes on an in-process schedule, /metrics, /healthz, /readyz, and an optional
// authenticated on-demand trigger. `stop` ends scheduling, lets running cycles finish (or aborts
// them at the grace period, which still cleans up) and closes the listener. The HTTP answers: ./http.ts.
import { createServer, type Server } from "node:http";
import type { LoadedConfig, ResolvedProbe, ServeSettings } from "../config/load.js";
import type { ReportedResult } from "../core/result.js";
import type { Logger } from "../log.js";
import { createSenderContext } from "../core/sender.js";
import { createIdleLagMemory } from "../probe/idle-memory.js";
import { runProbe } from "../probe/run.js";
import { createScheduler, type Scheduler } from "../schedule/scheduler.js";
import { CLEANUP_BUDGET_MS } from "../probe/run.js";
import { report, sinkBudgetMs, tidy } from "../sinks/index.js";
import { createServeMetrics, type ServeMetrics } from "../sinks/metrics.js";
import { createRequestListener } from "./http.js";

export interface ServeOptions {
  config: LoadedConfig;
  settings: ServeSettings;
  probes: ResolvedProbe[];
  log: Logger;
  /** Redaction for answers that carry a result (the trigger's JSON). */
  redact: (text: string) => string;
  /** One cycle of a probe; default: run it, then report to the sinks (a test stages a wedged one here). */
  cycle?: (probe: ResolvedProbe, signal: AbortSignal) => Promise<ReportedResult>;
}

/** The longest a cycle can take: its deadline + the cleanup budget + the sink budget + 1 s. */
export function cycleBoundMs(config: LoadedConfig, probe: ResolvedProbe): number {
  return probe.timeoutMs + CLEANUP_BUDGET_MS + sinkBudgetMs(config) + 1000;
}

export interface Serving {
  /** `host:port` actually bound. */
  address: string;
  stop(): Promise<void>;
}

/** One cycle of a probe by default: run it, then report to the sinks. */
function defaultCycle(config: LoadedConfig, log: Logger): (probe: ResolvedProbe, signal: AbortSignal) => Promise<ReportedResult> {
  // One per process: every probe and cycle shares the senders' rate budgets (Brevo's event log).
  const senderContext = createSenderContext();
  // What the cycles learn of each path's IDLE lag (fast polls only where IDLE is slow).
  const idleLags = createIdleLagMemory();
  return async (probe, signal) => report(config, probe, await runProbe(probe, { log, signal, readCredits: true, senderContext, idleLags }), log);
}

/** The scheduler of every probe's cycles, each watched against its bound (`stuck` holds those past it). */
function createServeScheduler(o: ServeOptions, metrics: ServeMetrics, stuck: Set<string>): Scheduler<ReportedResult> {
  const { config, settings: serve, probes, log } = o;
  const byName = new Map(probes.map((p) => [p.name, p]));
  const cycle = o.cycle ?? defaultCycle(config, log);
  return createScheduler<ReportedResult>({
    schedules: Object.fromEntries(probes.map((p) => [p.name, p.schedule ?? serve.schedule])),
    onOverrun: (probe) => {
      metrics.overrun(probe);
      log.warn({ probe }, "previous run still going: this one is skipped");
    },
    run: async (name, signal) => {
      const probe = byName.get(name)!;
      // Every step is bounded, so a cycle ends by its bound; one that does not is a bug, and a
      // wedged process is better restarted: /healthz and mailprobe_cycle_stuck say so.
      const boundMs = cycleBoundMs(config, probe);
      const watchdog = setTimeout(() => {
        stuck.add(name);
        metrics.stuck(name, true);
        log.error({ probe: name, boundMs }, "cycle runs past its bound: /healthz now fails");
      }, boundMs);
      watchdog.unref();
      try {
        // Only the scheduler aborts a cycle (at the end of the shutdown grace), not SIGTERM itself.
        const r = await cycle(probe, signal);
        metrics.record(r, Date.now() / 1000);
        log.info({ probe: name, ok: r.ok, reason: r.reason, seconds: r.durationSeconds }, "run finished");
        return r;
      } finally {
        clearTimeout(watchdog);
        stuck.delete(name);
        metrics.stuck(name, false);
      }
    },
  });
}

/** Binds the server; resolves with the `host:port` bound, rejects when the port cannot be had. */
async function listen(server: Server, serve: ServeSettings): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(serve.port, serve.listen, () => resolve());
  });
  const addr = server.address();
  return typeof addr === "object" && addr ? `${addr.address}:${addr.port}` : String(addr);
}

export async function startServe(o: ServeOptions): Promise<Serving> {
  const { config, settings: serve, probes, log } = o;
  const metrics = createServeMetrics(probes);
  const stuck = new Set<string>();
  const scheduler = createServeScheduler(o, metrics, stuck);
  const byName = new Map(probes.map((p) => [p.name, p]));
  const server = createServer(createRequestListener({ settings: serve, byName, metrics, stuck, scheduler, redact: o.redact, log }));
  const address = await listen(server, serve);
  scheduler.start();
  // Serving every configured probe (no --probe): remove the groups of probes and paths no longer configured.
  if (probes.length === config.probes.length) void tidy(config, log);
  // The first cycle of each probe now rather than at its first tick (up to 20 minutes away).
  if (serve.runOnStart)
    for (const p of probes) scheduler.trigger(p.name)?.catch((err: Error) => log.error({ probe: p.name, err: err.message }, "start-up run failed"));
  return {
    address,
    async stop() {
      log.info({ running: scheduler.running() }, "shutting down");
      await scheduler.stop(serve.shutdownGraceMs);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
