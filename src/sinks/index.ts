// The built-in sinks, registered in the sink registry (./registry.ts); and `report`, which runs
// every sink a config uses for a result.
import type { LoadedConfig, ResolvedProbe } from "../config/load.js";
import type { ProbeResult, ReportedResult } from "../core/result.js";
import type { Logger } from "../log.js";
import { registerSink, sinkModules, type Sink } from "./registry.js";

registerSink({
  name: "pushgateway",
  async open(config) {
    if (!config.pushgateway) return undefined;
    const { pushgatewaySink } = await import("./pushgateway.js");
    return pushgatewaySink(config.pushgateway);
  },
});
registerSink({ name: "kuma", open: async () => (await import("./kuma.js")).kumaSink });

export { registerSink, type Sink, type SinkModule } from "./registry.js";

/**
 * Opens every registered sink the config uses. Call it early: the loading then happens while a run
 * waits on the network instead of after it.
 */
export function loadSinks(config: LoadedConfig): Promise<Sink[]> {
  return Promise.all(sinkModules().map((m) => m.open(config))).then((all) => all.filter((s): s is Sink => s !== undefined));
}

/** Publishes a result to every sink; `signal` bounds them (the run's own deadline is over by then). */
export async function report(
  config: LoadedConfig,
  probe: ResolvedProbe,
  r: ProbeResult,
  log: Logger,
  loaded: Promise<Sink[]> = loadSinks(config),
  signal: AbortSignal = new AbortController().signal,
): Promise<ReportedResult> {
  const sinks = (await Promise.all((await loaded).map((s) => s.publish(probe, r, signal)))).flat();
  for (const s of sinks) if (!s.ok) log.warn({ probe: r.probe, sink: s.sink, target: s.target, detail: s.error }, "sink failed");
  return { ...r, sinks };
}

/**
 * After a run over every configured probe: each sink removes what this deployment published for
 * probes or paths it no longer configures (Pushgateway groups). Callers skip it for a `--probe` run.
 */
export async function tidy(config: LoadedConfig, log: Logger, loaded: Promise<Sink[]> = loadSinks(config), signal: AbortSignal = new AbortController().signal) {
  const results = (await Promise.all((await loaded).map((s) => s.tidy?.(config, signal) ?? []))).flat();
  for (const r of results) {
    if (r.ok) log.info({ sink: r.sink, target: r.target }, "removed a group this deployment no longer configures");
    else log.warn({ sink: r.sink, target: r.target, detail: r.error }, "sink clean-up failed");
  }
  return results;
}
