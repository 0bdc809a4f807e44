// `serve`: the probes on an in-process schedule, /metrics, /healthz, /readyz, and an optional
// authenticated on-demand trigger. `stop` ends scheduling, lets running cycles finish (or aborts
// them at the grace period, which still cleans up) and closes the listener.
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { LoadedConfig, ResolvedProbe } from "../config/load.js";
import type { ReportedResult } from "../core/result.js";
import type { Logger } from "../log.js";
import { createSenderContext } from "../core/sender.js";
import { createIdleLagMemory } from "../probe/idle-memory.js";
import { runProbe } from "../probe/run.js";
import { createScheduler } from "../schedule/scheduler.js";
import { CLEANUP_BUDGET_MS } from "../probe/run.js";
import { report, sinkBudgetMs, tidy } from "../sinks/index.js";
import { createServeMetrics } from "../sinks/metrics.js";
import { redactDeep } from "../redact.js";

export type ServeSettings = NonNullable<LoadedConfig["serve"]>;

function tokenMatches(header: string | undefined, token: string): boolean {
  // Auth schemes are case-insensitive (RFC 9110 §11.1): `bearer x` and `BEARER x` are the same.
  const m = /^Bearer +(.+)$/i.exec(header ?? "");
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

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

export async function startServe(o: ServeOptions): Promise<Serving> {
  const { config, settings: serve, probes, log } = o;
  const byName = new Map(probes.map((p) => [p.name, p]));
  const metrics = createServeMetrics(probes);
  const stuck = new Set<string>();
  // One per process: every probe and cycle shares the senders' rate budgets (Brevo's event log).
  const senderContext = createSenderContext();
  // What the cycles learn of each path's IDLE lag (fast polls only where IDLE is slow).
  const idleLags = createIdleLagMemory();
  const cycle =
    o.cycle ??
    (async (probe: ResolvedProbe, signal: AbortSignal) =>
      report(config, probe, await runProbe(probe, { log, signal, readCredits: true, senderContext, idleLags }), log));

  const scheduler = createScheduler<ReportedResult>({
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

  // Each on-demand run spends a send (a Brevo credit): at most one per probe per minIntervalMs.
  const lastTrigger = new Map<string, number>();
  const send = (res: ServerResponse, status: number, body: string, type = "text/plain; charset=utf-8", extra: Record<string, string> = {}) => {
    res.writeHead(status, { "content-type": type, ...extra });
    res.end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://mailprobe");
    if (req.method === "GET" && url.pathname === "/metrics") return send(res, 200, await metrics.registry.metrics(), metrics.registry.contentType);
    if (req.method === "GET" && url.pathname === "/healthz")
      return stuck.size ? send(res, 503, `cycle stuck past its bound: ${[...stuck].join(", ")}\n`) : send(res, 200, "ok\n");
    if (req.method === "GET" && url.pathname === "/readyz") return scheduler.started ? send(res, 200, "ready\n") : send(res, 503, "not ready\n");
    const m = /^\/probe\/([^/]+)$/.exec(url.pathname);
    if (m && req.method === "POST") {
      if (!serve.trigger.enabled || !serve.trigger.bearerToken) return send(res, 404, "on-demand runs are off (serve.trigger.enabled)\n");
      if (!tokenMatches(req.headers.authorization, serve.trigger.bearerToken)) return send(res, 401, "bearer token required\n");
      if (!byName.has(m[1]!)) return send(res, 404, `no probe ${m[1]}\n`);
      const waitMs = (lastTrigger.get(m[1]!) ?? -Infinity) + serve.trigger.minIntervalMs - Date.now();
      if (waitMs > 0) {
        const retry = String(Math.ceil(waitMs / 1000));
        return send(res, 429, `probe ${m[1]} was triggered less than ${serve.trigger.minIntervalMs / 1000} s ago: retry in ${retry} s\n`, undefined, {
          "retry-after": retry,
        });
      }
      const running = scheduler.trigger(m[1]!);
      if (!running) return send(res, 409, `probe ${m[1]} is already running\n`);
      lastTrigger.set(m[1]!, Date.now());
      const r = await running;
      return send(res, r.ok ? 200 : 503, JSON.stringify(redactDeep(r, o.redact), null, 2) + "\n", "application/json");
    }
    send(res, 404, "not found\n");
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      log.error({ err: err.message }, "http handler failed");
      if (!res.headersSent) send(res, 500, "internal error\n");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(serve.port, serve.listen, () => resolve());
  });
  const addr = server.address();
  scheduler.start();
  // Serving every configured probe (no --probe): remove the groups of probes and paths no longer configured.
  if (probes.length === config.probes.length) void tidy(config, log);
  // The first cycle of each probe now rather than at its first tick (up to 20 minutes away).
  if (serve.runOnStart)
    for (const p of probes) scheduler.trigger(p.name)?.catch((err: Error) => log.error({ probe: p.name, err: err.message }, "start-up run failed"));
  return {
    address: typeof addr === "object" && addr ? `${addr.address}:${addr.port}` : String(addr),
    async stop() {
      log.info({ running: scheduler.running() }, "shutting down");
      await scheduler.stop(serve.shutdownGraceMs);
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
