// `mailprobe run`: every configured probe once (in parallel), reported to the sinks; exit 0 when
// every path of every probe is healthy, 1 otherwise.
import { createSenderContext } from "../../core/sender.js";
import { runProbe } from "../../probe/run.js";
import type { ReportedResult } from "../../core/result.js";
import { loadSinks, report, tidy } from "../../sinks/index.js";
import { redactDeep } from "../../redact.js";
import { renderHuman } from "../../render/human.js";
import type { CommandContext } from "../context.js";

export async function runCommand(ctx: CommandContext): Promise<number> {
  const sinks = loadSinks(ctx.config);
  sinks.catch(() => undefined);
  // One per process: the probes share the senders' rate budgets (Brevo's event log).
  const senderContext = createSenderContext();
  // Only a run over every configured probe knows what is no longer configured. It runs beside the
  // probes (it needs only the config), so that it does not add to the run's bound.
  const tidied = ctx.args.probe ? undefined : tidy(ctx.config, ctx.log, sinks);
  const results: ReportedResult[] = await Promise.all(
    ctx.probes.map(async (probe) =>
      report(ctx.config, probe, await runProbe(probe, { log: ctx.log, signal: ctx.signal, readCredits: true, senderContext }), ctx.log, sinks),
    ),
  );
  await tidied;
  const ok = results.every((r) => r.ok);
  for (const r of results) {
    ctx.log.info(
      { probe: r.probe, ok: r.ok, reason: r.reason, seconds: r.durationSeconds, paths: r.paths.map((p) => `${p.name}:${p.ok ? "ok" : p.reason}`).join(" ") },
      "run finished",
    );
  }
  const exitCode = ok ? 0 : 1;
  const warnings = [...new Map(results.flatMap((r) => r.warnings ?? []).map((w) => [w.code, w])).values()];
  if (ctx.json) ctx.stdout(JSON.stringify(redactDeep({ ok, exitCode, version: ctx.version, warnings, probes: results }, ctx.stdoutRedact), null, 2) + "\n");
  else ctx.stdout(renderHuman(results, { color: ctx.color }));
  return exitCode;
}
