// `mailprobe doctor`: checks every path, the sender and the sinks without sending mail. A table
// (JSON with --json); exit 1 when any check fails, each failure with its likely cause.
import { doctorCheckMs, runDoctor, type CheckResult } from "../../doctor/checks.js";
import type { CommandContext } from "../context.js";
import { noTokenKeyWarning } from "../../core/token.js";
import { paint, table } from "../../render/text.js";
import { redactDeep } from "../../redact.js";

export function renderDoctor(checks: CheckResult[], color: boolean): string {
  const c = paint(color).sgr;
  const mark = { ok: c("32", "ok"), warn: c("33", "WARN"), fail: c("31;1", "FAIL"), skip: c("2", "skip") };
  const [head, ...lines] = table([["SCOPE", "CHECK", "STATUS", "DETAIL"], ...checks.map((r) => [r.scope, r.check, r.status, r.detail])]);
  // The status word is coloured in place, after the layout measured it uncoloured.
  const at = head!.indexOf("STATUS");
  const out = [c("2", head!)];
  checks.forEach((r, i) => {
    const line = lines[i]!;
    out.push(line.slice(0, at) + mark[r.status] + line.slice(at + r.status.length));
    if (r.hint && (r.status === "fail" || r.status === "warn")) out.push(`${" ".repeat(at)}→ ${r.hint}`);
  });
  const failed = checks.filter((r) => r.status === "fail").length;
  const warned = checks.filter((r) => r.status === "warn").length;
  out.push(
    "",
    failed
      ? c("31;1", `doctor: ${failed} of ${checks.length} checks failed${warned ? `, ${warned} warnings` : ""}`)
      : c("32", `doctor: all ${checks.length} checks passed${warned ? ` (${warned} warnings)` : ""}`),
  );
  return out.join("\n") + "\n";
}

export async function doctorCommand(ctx: CommandContext): Promise<number> {
  const checks = await runDoctor(ctx.config, ctx.probes, ctx.signal, { checkMs: doctorCheckMs(ctx.env) });
  // Warnings (a missing token key, a server without UIDPLUS) never fail doctor: exit 0 unless a check failed.
  const ok = checks.every((r) => r.status !== "fail");
  if (!ctx.probes.every((p) => p.tokenKey)) ctx.log.warn({ code: "no_token_key" }, noTokenKeyWarning().message);
  const exitCode = ok ? 0 : 1;
  const warnings = ctx.probes.every((p) => p.tokenKey) ? [] : [noTokenKeyWarning()];
  if (ctx.json) ctx.stdout(JSON.stringify(redactDeep({ ok, exitCode, version: ctx.version, warnings, checks }, ctx.stdoutRedact), null, 2) + "\n");
  else ctx.stdout(renderDoctor(checks, ctx.color));
  return exitCode;
}
