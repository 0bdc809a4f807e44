// `serve`: the probes on an in-process schedule, /metrics, /healthz, /readyz, and an optional
// authenticated on-demand trigger. `stop` ends scheduling, lets running cycles finish (or aborts
// them at the grace period, which still cleans up) and closes the listener. The HTTP answers: ./http.ts.
import { createServer, type Server } from "node:http";
import type { LoadedConfig, ResolvedProbe, ServeSettings } from "../config/load.js";
import type { ReportedResult } from "../core/result.js";
import type { Logger } from "../log.js";
import { createSenderContext } from "../core/sender.js";
import { createSessionSlots } from "../core/slots.js";
import { createIdleLagMemory } from "../probe/idle-memory.js";
import { runProbe } from "../probe/run.js";
import { createScheduler, type Scheduler } from "../schedule/scheduler.js";
import { CLEANUP_BUDGET_MS } from "../probe/run.js";
import { report, sinkBudgetMs, tidy } from "../sinks/index.js";
import { createServeMetrics, type ServeMetrics } from "../sinks/metrics.js";
import { createRequestListener } from "./http.js";
import { configInvalidResult, createConfigSource, type ConfigSource } from "./reload.js";

export interface ServeOptions {
  config: LoadedConfig;
  settings: ServeSettings;
  probes: ResolvedProbe[];
  log: Logger;
  /** Redaction for answers that carry a result (the trigger's JSON). */
  redact: (text: string) => string;
  /** One cycle of a probe; default: run it, then report to the sinks (a test stages a wedged one here). */
  cycle?: Cycle;
  /** Reads the config file and its secret files again (throws ConfigError); absent: `config` is used for every cycle. */
  reload?: () => LoadedConfig;
}

/** One cycle of a probe, with the config its sinks see for this cycle. */
type Cycle = (probe: ResolvedProbe, signal: AbortSignal, config: LoadedConfig) => Promise<ReportedResult>;

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
function defaultCycle(log: Logger, sessionsPerUser: number): Cycle {
  // One per process: every probe and cycle shares the senders' rate budgets (Brevo's event log).
  const senderContext = createSenderContext();
  // What the cycles learn of each path's IDLE lag (fast polls only where IDLE is slow).
  const idleLags = createIdleLagMemory();
  // The IMAP session cap per login and host, over every probe and cycle (the cap serve started with:
  // like the listener and the schedules, it changes with a restart; reload.ts refuses more paths).
  const sessionSlots = createSessionSlots(sessionsPerUser);
  return async (probe, signal, config) =>
    report(config, probe, await runProbe(probe, { log, signal, readCredits: true, senderContext, idleLags, sessionSlots }), log);
}

/** The scheduler of every probe's cycles, each watched against its bound (`stuck` holds those past it). */
function createServeScheduler(o: ServeOptions, source: ConfigSource, metrics: ServeMetrics, stuck: Set<string>): Scheduler<ReportedResult> {
  const { settings: serve, probes, log } = o;
  const cycle = o.cycle ?? defaultCycle(log, o.config.imapSessionsPerUser);
  return createScheduler<ReportedResult>({
    schedules: Object.fromEntries(probes.map((p) => [p.name, p.schedule ?? serve.schedule])),
    onOverrun: (probe) => {
      metrics.overrun(probe);
      log.warn({ probe }, "previous run still going: this one is skipped");
    },
    run: async (name, signal) => {
      // A rotated Secret is read now: the config file and its secret files, once per cycle.
      const at = source.forCycle(name);
      // Every step is bounded, so a cycle ends by its bound; one that does not is a bug, and a
      // wedged process is better restarted: /healthz and mailprobe_cycle_stuck say so.
      const boundMs = cycleBoundMs(at.config, at.probe);
      const watchdog = setTimeout(() => {
        stuck.add(name);
        metrics.stuck(name, true);
        log.error({ probe: name, boundMs }, "cycle runs past its bound: /healthz now fails");
      }, boundMs);
      watchdog.unref();
      try {
        // Only the scheduler aborts a cycle (at the end of the shutdown grace), not SIGTERM itself.
        if (at.invalid) log.error({ probe: name, detail: at.invalid }, "config reload failed: this cycle fails (config_invalid); the next one tries again");
        const r = at.invalid ? await report(at.config, at.probe, configInvalidResult(at.probe, at.invalid), log) : await cycle(at.probe, signal, at.config);
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
  const source = createConfigSource(config, serve.push, o.reload);
  const scheduler = createServeScheduler(o, source, metrics, stuck);
  const byName = new Map(probes.map((p) => [p.name, p]));
  // The trigger's token from the last config that loaded (a rotated bearerTokenFile too); none once
  // that config turned the trigger off or holds no token: the old one must not go on starting runs.
  const bearerToken = () => {
    const latest = source.latest().serve;
    return latest ? (latest.trigger.enabled ? latest.trigger.bearerToken : undefined) : serve.trigger.bearerToken;
  };
  const server = createServer(createRequestListener({ settings: serve, bearerToken, byName, metrics, stuck, scheduler, redact: o.redact, log }));
  const address = await listen(server, serve);
  scheduler.start();
  // Only with serve.push (else the sinks see no pushgateway block): remove the groups of probes and
  // paths no longer configured; serving a --probe subset, only those probes' stale paths.
  void tidy(source.latest(), log, undefined, undefined, probes.length === config.probes.length ? undefined : probes.map((p) => p.name));
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
