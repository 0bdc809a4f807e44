// `mailprobe serve`: the probes on an in-process schedule, /metrics (run gauges, a roundtrip
// histogram, run counters, process metrics), /healthz, /readyz, and an optional authenticated
// on-demand trigger. SIGTERM: stop scheduling, let running cycles finish (or abort them at the
// grace period, which still cleans up), exit 0.
import { timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";
import { runProbe } from "../../probe/run.js";
import type { ReportedResult } from "../../core/result.js";
import { createScheduler } from "../../schedule/scheduler.js";
import { createLastSuccessGauge, createRunGauges, METRICS, recordRun } from "../../sinks/metrics.js";
import { report } from "../../sinks/index.js";
import type { CommandContext } from "../context.js";

/** Roundtrip histogram buckets (seconds): loopback to a slow relay. */
export const ROUNDTRIP_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? "");
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function serveCommand(ctx: CommandContext): Promise<number> {
  const { config, log } = ctx;
  const serve = config.serve ?? { listen: "0.0.0.0", port: 9465, schedule: "*/20 * * * *", trigger: { enabled: false }, shutdownGraceMs: 30_000 };
  const probes = ctx.probes;
  const byName = new Map(probes.map((p) => [p.name, p]));

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const gauges = createRunGauges(registry);
  const lastSuccess = createLastSuccessGauge(registry);
  const histogram = new Histogram({
    ...METRICS.roundtripHistogram,
    labelNames: [...METRICS.roundtripHistogram.labelNames],
    buckets: ROUNDTRIP_BUCKETS,
    registers: [registry],
  });
  const runs = new Counter({ ...METRICS.runs, labelNames: [...METRICS.runs.labelNames], registers: [registry] });
  const overruns = new Counter({ ...METRICS.overruns, labelNames: [...METRICS.overruns.labelNames], registers: [registry] });
  for (const p of probes) {
    overruns.inc({ probe: p.name }, 0);
    for (const path of p.paths) for (const result of ["success", "failure"]) runs.inc({ probe: p.name, path: path.name, result }, 0);
  }

  const scheduler = createScheduler<ReportedResult>({
    schedules: Object.fromEntries(probes.map((p) => [p.name, p.schedule ?? serve.schedule])),
    onOverrun: (probe) => {
      overruns.inc({ probe });
      log.warn({ probe }, "previous run still going: this one is skipped");
    },
    run: async (name, signal) => {
      const probe = byName.get(name)!;
      // Only the scheduler aborts a cycle (at the end of the shutdown grace), not SIGTERM itself.
      const r = await report(config, probe, await runProbe(probe, { log, signal }), log);
      const now = Date.now() / 1000;
      recordRun(gauges, r, now);
      for (const p of r.paths) {
        runs.inc({ probe: name, path: p.name, result: p.ok ? "success" : "failure" });
        if (p.roundtripSeconds !== undefined) histogram.observe({ probe: name, path: p.name }, p.roundtripSeconds);
        if (p.ok) lastSuccess.set({ probe: name, path: p.name }, now);
      }
      log.info({ probe: name, ok: r.ok, reason: r.reason, seconds: r.durationSeconds }, "run finished");
      return r;
    },
  });

  const send = (res: ServerResponse, status: number, body: string, type = "text/plain; charset=utf-8") => {
    res.writeHead(status, { "content-type": type });
    res.end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://mailprobe");
    if (req.method === "GET" && url.pathname === "/metrics") return send(res, 200, await registry.metrics(), registry.contentType);
    if (req.method === "GET" && url.pathname === "/healthz") return send(res, 200, "ok\n");
    if (req.method === "GET" && url.pathname === "/readyz") return scheduler.started ? send(res, 200, "ready\n") : send(res, 503, "not ready\n");
    const m = /^\/probe\/([^/]+)$/.exec(url.pathname);
    if (m && req.method === "POST") {
      if (!serve.trigger.enabled || !serve.trigger.bearerToken) return send(res, 404, "on-demand runs are off (serve.trigger.enabled)\n");
      if (!tokenMatches(req.headers.authorization, serve.trigger.bearerToken)) return send(res, 401, "bearer token required\n");
      if (!byName.has(m[1]!)) return send(res, 404, `no probe ${m[1]}\n`);
      const running = scheduler.trigger(m[1]!);
      if (!running) return send(res, 409, `probe ${m[1]} is already running\n`);
      const r = await running;
      return send(res, r.ok ? 200 : 503, ctx.stdoutRedact(JSON.stringify(r, null, 2)) + "\n", "application/json");
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
  log.info({ listen: typeof addr === "object" && addr ? `${addr.address}:${addr.port}` : String(addr), probes: probes.map((p) => p.name) }, "serving");
  scheduler.start();

  await new Promise<void>((resolve) => (ctx.signal.aborted ? resolve() : ctx.signal.addEventListener("abort", () => resolve(), { once: true })));
  log.info({ running: scheduler.running() }, "shutting down");
  await scheduler.stop(serve.shutdownGraceMs);
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  return 0;
}
