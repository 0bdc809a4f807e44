// Runs every configured sink for a result. A sink that is down is reported, never fatal.
import type { LoadedConfig, ResolvedProbe } from "../config/load.js";
import type { Logger } from "../log.js";
import type { ProbeResult, ReportedResult } from "../core/result.js";

/**
 * Loads the sink modules a config needs (prom-client only with a Pushgateway). Call it early: the
 * load then happens while a run waits on the network instead of after it.
 */
export function loadSinks(cfg: LoadedConfig) {
  return Promise.all([cfg.pushgateway ? import("./pushgateway.js") : undefined, import("./kuma.js")]);
}

export async function report(cfg: LoadedConfig, probe: ResolvedProbe, r: ProbeResult, log: Logger, loaded = loadSinks(cfg)): Promise<ReportedResult> {
  const [pg, { pushKuma }] = await loaded;
  const [gw, kuma] = await Promise.all([cfg.pushgateway && pg ? pg.pushResult(cfg.pushgateway, r) : Promise.resolve([]), pushKuma(probe, r)]);
  const sinks = [...gw, ...kuma];
  for (const s of sinks) if (!s.ok) log.warn({ probe: r.probe, sink: s.sink, target: s.target, detail: s.error }, "sink failed");
  return { ...r, sinks };
}
