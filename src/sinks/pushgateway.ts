// Pushgateway: one PUT per probe under {job, probe}, so a failing run replaces a stale success; and
// for each healthy path a PUT of its last-success time under {job, probe, path}, a group a failing
// run never touches, so the time of the last success survives failures.
import { Pushgateway, Registry } from "prom-client";
import type { ProbeResult, SinkResult } from "../core/result.js";
import type { Sink } from "./registry.js";
import { createLastSuccessGauge, createRunGauges, recordRun } from "./metrics.js";

export interface PushgatewayConfig {
  url: string;
  job: string;
  /** The grouping label `deployment` of every group this deployment pushes (pushgateway-tidy.ts). */
  deployment?: string;
  timeoutMs: number;
}

async function pushGroup(cfg: PushgatewayConfig, registry: Registry, groupings: Record<string, string>, target: string): Promise<SinkResult> {
  const started = Date.now();
  const gateway = new Pushgateway(cfg.url, { timeout: cfg.timeoutMs }, registry);
  try {
    await gateway.push({ jobName: cfg.job, groupings: cfg.deployment ? { deployment: cfg.deployment, ...groupings } : groupings });
    return { sink: "pushgateway", target, ok: true, ms: Date.now() - started };
  } catch (err) {
    return { sink: "pushgateway", target, ok: false, error: (err as Error).message, ms: Date.now() - started };
  }
}

export async function pushResult(cfg: PushgatewayConfig, r: ProbeResult, nowSeconds: number = Date.now() / 1000): Promise<SinkResult[]> {
  const run = new Registry();
  recordRun(createRunGauges(run), r, nowSeconds);
  const results = [await pushGroup(cfg, run, { probe: r.probe }, r.probe)];
  // If the gateway is down, do not spend the timeout again for every path.
  if (!results[0]!.ok) return results;
  const healthy = r.paths.filter((p) => p.ok);
  results.push(
    ...(await Promise.all(
      healthy.map((p) => {
        const reg = new Registry();
        createLastSuccessGauge(reg).set({ probe: r.probe, path: p.name }, nowSeconds);
        return pushGroup(cfg, reg, { probe: r.probe, path: p.name }, `${r.probe}/${p.name}`);
      }),
    )),
  );
  return results;
}

/**
 * The Pushgateway sink. prom-client's push takes no signal (its timeout is a socket idle timeout):
 * the hard deadline of a push is a later change, made here.
 */
export function pushgatewaySink(cfg: PushgatewayConfig): Sink {
  return {
    publish: (_probe, r) => pushResult(cfg, r),
    tidy: async (config, signal) => (await import("./pushgateway-tidy.js")).tidyGroups(cfg, config.probes, signal),
  };
}
