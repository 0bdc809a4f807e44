// The sink contract and its registry: a sink publishes one probe's result under a signal (the
// caller owns the deadline) and says per target whether it worked. Pushgateway and Uptime Kuma are
// two entries; `registerSink` adds more at run time. A sink that is down is reported, never fatal.
import type { LoadedConfig, ResolvedProbe } from "../config/load.js";
import { registerIn } from "../core/registry.js";
import type { ProbeResult, SinkResult } from "../core/result.js";

/** Failures follow the convention in core/errors.ts (kind 1): a sink returns them as SinkResults and never throws. */
export interface Sink {
  /** Publishes one probe's result; one SinkResult per target (a group, a monitor). Never throws. */
  publish(probe: ResolvedProbe, result: ProbeResult, signal: AbortSignal): Promise<SinkResult[]>;
  /**
   * After a run: removes what this deployment published earlier for probes or paths it no longer
   * configures. With `only` (a `--probe` run, e.g. one CronJob per probe), only what belongs to
   * those probes: their removed paths (another job's probes are not this run's to judge). Never throws.
   */
  tidy?(config: LoadedConfig, signal: AbortSignal, only?: readonly string[]): Promise<SinkResult[]>;
}

export interface SinkModule {
  /** The `sink` field of its SinkResults. */
  name: string;
  /**
   * Builds the sink for a config, or undefined when the config does not use it. May load heavy
   * modules (prom-client): it is called early, while a run still waits on the network.
   */
  open(config: LoadedConfig): Promise<Sink | undefined>;
}

const SINKS = new Map<string, SinkModule>();

/** Adds a sink (or replaces one of the same name). Returns the function that removes it again. */
export function registerSink(module: SinkModule): () => void {
  return registerIn(SINKS, module.name, module);
}

export function sinkModules(): SinkModule[] {
  return [...SINKS.values()];
}
