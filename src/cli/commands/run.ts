// `mailprobe run`: every configured probe once (in parallel), reported to the sinks; exit 0 when
// every path of every probe is healthy, 1 otherwise.
import { createSenderContext } from "../../core/sender.js";
import { createSessionSlots } from "../../core/slots.js";
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
  // …and the IMAP session cap per login and host.
  const sessionSlots = createSessionSlots(ctx.config.imapSessionsPerUser);
  // What this run may judge stale: with --probe (one CronJob per probe), only those probes' removed
  // paths; another job's probes are not its to delete. It runs beside the probes (it needs only the
  // config), so that it does not add to the run's bound.
  const tidied = tidy(ctx.config, ctx.log, sinks, undefined, ctx.args.probe ? ctx.probes.map((p) => p.name) : undefined);
  const results: ReportedResult[] = await Promise.all(
    ctx.probes.map(async (probe) =>
      report(ctx.config, probe, await runProbe(probe, { log: ctx.log, signal: ctx.signal, readCredits: true, senderContext, sessionSlots }), ctx.log, sinks),
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
