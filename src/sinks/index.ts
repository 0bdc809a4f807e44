// The built-in sinks, for `builtins()` (src/builtins.ts) to register in the sink registry
// (./registry.ts), each loading its code on first use; and `report`, which runs every sink a config
// uses for a result.
import type { LoadedConfig, ResolvedProbe } from "../config/load.js";
import { raceSignal } from "../core/deadline.js";
import type { ProbeResult, ReportedResult, SinkResult } from "../core/result.js";
import type { Logger } from "../log.js";
import { makeRedactor, redactDeep } from "../redact.js";
import { sinkModules, type Sink, type SinkModule } from "./registry.js";

export const builtinSinks: SinkModule[] = [
  {
    name: "pushgateway",
    async open(config) {
      if (!config.pushgateway) return undefined;
      const { pushgatewaySink } = await import("./pushgateway.js");
      return pushgatewaySink(config.pushgateway);
    },
  },
  { name: "kuma", open: async () => (await import("./kuma.js")).kumaSink },
];

export { registerSink, type Sink, type SinkModule } from "./registry.js";

/**
 * Opens every registered sink the config uses. Call it early: the loading then happens while a run
 * waits on the network instead of after it.
 */
export function loadSinks(config: LoadedConfig): Promise<Sink[]> {
  return Promise.all(sinkModules().map((m) => m.open(config))).then((all) => all.filter((s): s is Sink => s !== undefined));
}

/** Used when no sink says its timeout: the schema's default timeoutSeconds of Pushgateway and Kuma. */
export const DEFAULT_SINK_BUDGET_MS = 5000;
/** How long after the sink budget a sink that ignores its signal is left behind (inside the bound's 1 s). */
export const SINK_BACKSTOP_MS = 250;

/**
 * The sink budget: sinks run in parallel, so the slowest configured sink timeout (Pushgateway's,
 * every Kuma block's). The chart's activeDeadlineSeconds and terminationGracePeriodSeconds use it.
 */
export function sinkBudgetMs(config: LoadedConfig): number {
  const all = [config.pushgateway?.timeoutMs, ...config.probes.flatMap((p) => [p.kuma?.timeoutMs, ...p.paths.map((x) => x.kuma?.timeoutMs)])];
  const set = all.filter((t): t is number => t !== undefined);
  return set.length ? Math.max(...set) : DEFAULT_SINK_BUDGET_MS;
}

/**
 * Publishes a result to every sink, in parallel, under one sink budget (and `signal`): a sink that
 * has not answered by then is reported failed and left behind (its own signal destroys its socket).
 */
export async function report(
  config: LoadedConfig,
  probe: ResolvedProbe,
  r: ProbeResult,
  log: Logger,
  loaded: Promise<Sink[]> = loadSinks(config),
  signal: AbortSignal = new AbortController().signal,
): Promise<ReportedResult> {
  // Redacted before any sink sees it: Kuma's msg and Pushgateway's label values come from it.
  const safe = redactDeep(r, makeRedactor(config.secrets));
  const budgetMs = sinkBudgetMs(config);
  // A backstop a little after the budget, so that a sink's own timeout (at most the budget) reports first.
  const budget = AbortSignal.any([signal, AbortSignal.timeout(budgetMs + SINK_BACKSTOP_MS)]);
  const late = (): SinkResult[] => [{ sink: "sink", target: r.probe, ok: false, error: `no answer within the sink budget (${budgetMs} ms)`, ms: budgetMs }];
  const publishing = (await raceSignal(loaded, budget).catch(() => [] as Sink[])).map((s) => raceSignal(s.publish(probe, safe, budget), budget).catch(late));
  const sinks = (await Promise.all(publishing)).flat();
  for (const s of sinks) if (!s.ok) log.warn({ probe: r.probe, sink: s.sink, target: s.target, detail: s.error }, "sink failed");
  return { ...safe, sinks };
}

/**
 * After a run: each sink removes what this deployment published for probes or paths it no longer
 * configures (Pushgateway groups); for a `--probe` run (`only`), just those probes' removed paths.
 */
export async function tidy(
  config: LoadedConfig,
  log: Logger,
  loaded: Promise<Sink[]> = loadSinks(config),
  signal: AbortSignal = new AbortController().signal,
  only?: readonly string[],
) {
  const results = (await Promise.all((await loaded).map((s) => s.tidy?.(config, signal, only) ?? []))).flat();
  for (const r of results) {
    if (r.ok) log.info({ sink: r.sink, target: r.target }, "removed a group this deployment no longer configures");
    else log.warn({ sink: r.sink, target: r.target, detail: r.error }, "sink clean-up failed");
  }
  return results;
}
