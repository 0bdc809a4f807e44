// Pushgateway: one PUT per probe under {job, probe}, so a failing run replaces a stale success; and
// for each healthy path a PUT of its last-success time under {job, probe, path}, a group a failing
// run never touches, so the time of the last success survives failures.
import { Registry } from "prom-client";
import type { ProbeResult, SinkResult } from "../core/result.js";
import { authAnswer, peerText } from "../core/peer-text.js";
import { httpFetch } from "../net/http-fetch.js";
import type { Sink } from "./registry.js";
import { createLastSuccessGauge, createRunGauges, recordRun } from "./metrics.js";

export interface PushgatewayConfig {
  url: string;
  job: string;
  /** The grouping label `deployment` of every group this deployment pushes (pushgateway-tidy.ts). */
  deployment?: string;
  timeoutMs: number;
  basicAuth?: { user: string; password: string };
}

/** `pushgateway.basicAuth` as an Authorization header (never in the URL). */
export function authHeaders(cfg: Pick<PushgatewayConfig, "basicAuth">): Record<string, string> {
  const a = cfg.basicAuth;
  return a ? { authorization: `Basic ${Buffer.from(`${a.user}:${a.password}`).toString("base64")}` } : {};
}

/** `<url>/metrics/job/<job>/<label>/<value>…`, as prom-client builds it (names are label-safe). */
function groupUrl(cfg: PushgatewayConfig, groupings: Record<string, string>): URL {
  const u = new URL(cfg.url);
  const base = u.pathname.replace(/\/+$/, "");
  const labels = Object.entries(groupings)
    .map(([k, v]) => `/${encodeURIComponent(k)}/${encodeURIComponent(v)}`)
    .join("");
  u.pathname = `${base}/metrics/job/${encodeURIComponent(cfg.job)}${labels}`;
  u.search = "";
  return u;
}

/**
 * One PUT under a hard deadline: prom-client's own push has only a socket idle timeout, which a
 * gateway that trickles a byte every few seconds never trips. Here the signal destroys the socket.
 */
async function pushGroup(
  cfg: PushgatewayConfig,
  registry: Registry,
  groupings: Record<string, string>,
  target: string,
  signal: AbortSignal,
): Promise<SinkResult> {
  const started = Date.now();
  const headers: Record<string, string> = { "content-type": registry.contentType, ...authHeaders(cfg) };
  try {
    const body = await registry.metrics();
    const res = await httpFetch(groupUrl(cfg, cfg.deployment ? { deployment: cfg.deployment, ...groupings } : groupings), {
      method: "PUT",
      headers,
      body,
      signal,
    });
    if (res.status >= 400) {
      // A request with basicAuth: the answer's text is never shown (a proxy may echo the header).
      // Without: shown short (a proxy's error page could still echo the request).
      if (cfg.basicAuth) return { sink: "pushgateway", target, ok: false, error: authAnswer("HTTP", res.status), ms: Date.now() - started };
      const text = peerText(await res.text(), 120);
      return { sink: "pushgateway", target, ok: false, error: `HTTP ${res.status}${text ? `: ${text}` : ""}`, ms: Date.now() - started };
    }
    return { sink: "pushgateway", target, ok: true, ms: Date.now() - started };
  } catch (err) {
    const e = err as Error & { code?: string };
    const why =
      e.name === "TimeoutError" || signal.aborted ? `no complete answer within ${Date.now() - started} ms` : `${e.message}${e.code ? ` (${e.code})` : ""}`;
    return { sink: "pushgateway", target, ok: false, error: why, ms: Date.now() - started };
  }
}

export async function pushResult(
  cfg: PushgatewayConfig,
  r: ProbeResult,
  signal: AbortSignal = new AbortController().signal,
  nowSeconds: number = Date.now() / 1000,
): Promise<SinkResult[]> {
  // One deadline for every PUT of this result (the probe's group, then the paths' groups).
  signal = AbortSignal.any([signal, AbortSignal.timeout(cfg.timeoutMs)]);
  const run = new Registry();
  recordRun(createRunGauges(run), r, nowSeconds);
  const results = [await pushGroup(cfg, run, { probe: r.probe }, r.probe, signal)];
  // If the gateway is down, do not spend the timeout again for every path.
  if (!results[0]!.ok) return results;
  const healthy = r.paths.filter((p) => p.ok);
  results.push(
    ...(await Promise.all(
      healthy.map((p) => {
        const reg = new Registry();
        createLastSuccessGauge(reg).set({ probe: r.probe, path: p.name }, nowSeconds);
        return pushGroup(cfg, reg, { probe: r.probe, path: p.name }, `${r.probe}/${p.name}`, signal);
      }),
    )),
  );
  return results;
}

/** The Pushgateway sink: every PUT under the caller's signal and the gateway's own timeoutSeconds. */
export function pushgatewaySink(cfg: PushgatewayConfig): Sink {
  return {
    publish: (_probe, r, signal) => pushResult(cfg, r, signal),
    tidy: async (config, signal, only) => (await import("./pushgateway-tidy.js")).tidyGroups(cfg, config.probes, signal, only),
  };
}
