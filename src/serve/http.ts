// serve's HTTP face: /metrics, /healthz, /readyz and the authenticated on-demand trigger
// (POST /probe/NAME). It reads the scheduler and the metrics; it owns no schedule of its own.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ResolvedProbe, ServeSettings } from "../config/load.js";
import type { ReportedResult } from "../core/result.js";
import type { Logger } from "../log.js";
import type { Scheduler } from "../schedule/scheduler.js";
import type { ServeMetrics } from "../sinks/metrics.js";
import { redactDeep } from "../redact.js";

export interface HttpDeps {
  settings: ServeSettings;
  /** The trigger's bearer token now (serve re-reads its secret files each cycle); default: the settings'. */
  bearerToken?: () => string | undefined;
  byName: ReadonlyMap<string, ResolvedProbe>;
  metrics: ServeMetrics;
  /** The probes whose cycle runs past its bound (the watchdog keeps it). */
  stuck: ReadonlySet<string>;
  scheduler: Scheduler<ReportedResult>;
  /** Redaction for the trigger's JSON result. */
  redact: (text: string) => string;
  log: Logger;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  // Auth schemes are case-insensitive (RFC 9110 §11.1): `bearer x` and `BEARER x` are the same.
  const m = /^Bearer +(.+)$/i.exec(header ?? "");
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function reply(res: ServerResponse, status: number, body: string, type = "text/plain; charset=utf-8", extra: Record<string, string> = {}): void {
  res.writeHead(status, { "content-type": type, ...extra });
  res.end(body);
}

/** POST /probe/NAME: checks the token and the rate limit, runs the probe now and answers with its result. */
async function triggerRun(d: HttpDeps, lastTrigger: Map<string, number>, name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const trigger = d.settings.trigger;
  const token = d.bearerToken ? d.bearerToken() : trigger.bearerToken;
  if (!trigger.enabled || !token) return reply(res, 404, "on-demand runs are off (serve.trigger.enabled)\n");
  if (!tokenMatches(req.headers.authorization, token)) return reply(res, 401, "bearer token required\n");
  if (!d.byName.has(name)) return reply(res, 404, `no probe ${name}\n`);
  const waitMs = (lastTrigger.get(name) ?? -Infinity) + trigger.minIntervalMs - Date.now();
  if (waitMs > 0) {
    const retry = String(Math.ceil(waitMs / 1000));
    return reply(res, 429, `probe ${name} was triggered less than ${trigger.minIntervalMs / 1000} s ago: retry in ${retry} s\n`, undefined, {
      "retry-after": retry,
    });
  }
  const running = d.scheduler.trigger(name);
  if (!running) return reply(res, 409, `probe ${name} is already running\n`);
  lastTrigger.set(name, Date.now());
  const r = await running;
  return reply(res, r.ok ? 200 : 503, JSON.stringify(redactDeep(r, d.redact), null, 2) + "\n", "application/json");
}

/** The server's request listener; a handler that throws is logged and answered with 500. */
export function createRequestListener(d: HttpDeps): (req: IncomingMessage, res: ServerResponse) => void {
  // Each on-demand run spends a send (a Brevo credit): at most one per probe per minIntervalMs.
  const lastTrigger = new Map<string, number>();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://mailprobe");
    if (req.method === "GET" && url.pathname === "/metrics") return reply(res, 200, await d.metrics.registry.metrics(), d.metrics.registry.contentType);
    if (req.method === "GET" && url.pathname === "/healthz")
      return d.stuck.size ? reply(res, 503, `cycle stuck past its bound: ${[...d.stuck].join(", ")}\n`) : reply(res, 200, "ok\n");
    if (req.method === "GET" && url.pathname === "/readyz") return d.scheduler.started ? reply(res, 200, "ready\n") : reply(res, 503, "not ready\n");
    const m = /^\/probe\/([^/]+)$/.exec(url.pathname);
    if (m && req.method === "POST") return triggerRun(d, lastTrigger, m[1]!, req, res);
    reply(res, 404, "not found\n");
  };
  return (req, res) => {
    handle(req, res).catch((err: Error) => {
      d.log.error({ err: err.message }, "http handler failed");
      if (!res.headersSent) reply(res, 500, "internal error\n");
    });
  };
}
