// Runs every configured sink for a result. A sink that is down is reported, never fatal.
import type { LoadedConfig, ResolvedProbe } from "../config/load.js";
import type { Logger } from "../log.js";
import type { ProbeResult, ReportedResult } from "../probe/result.js";
import { pushKuma } from "./kuma.js";
import { pushResult } from "./pushgateway.js";

export async function report(cfg: LoadedConfig, probe: ResolvedProbe, r: ProbeResult, log: Logger): Promise<ReportedResult> {
  const [gw, kuma] = await Promise.all([cfg.pushgateway ? pushResult(cfg.pushgateway, r) : Promise.resolve([]), pushKuma(probe, r)]);
  const sinks = [...gw, ...kuma];
  for (const s of sinks) if (!s.ok) log.warn({ probe: r.probe, sink: s.sink, target: s.target, detail: s.error }, "sink failed");
  return { ...r, sinks };
}
