// `mailprobe doctor`: checks every path, the sender and the sinks without sending mail. A table
// (JSON with --json); exit 1 when any check fails, each failure with its likely cause.
import { runDoctor, type CheckResult } from "../../doctor/checks.js";
import type { CommandContext } from "../context.js";

export function renderDoctor(checks: CheckResult[], color: boolean): string {
  const c = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const mark = { ok: c("32", "ok"), warn: c("33", "WARN"), fail: c("31;1", "FAIL"), skip: c("2", "skip") };
  const rows = checks.map((r) => [r.scope, r.check, r.status, r.detail]);
  const w = [0, 1, 2].map((i) => Math.max(...[["SCOPE", "CHECK", "STATUS"][i]!.length, ...rows.map((r) => r[i]!.length)]));
  const pad = (s: string, n: number) => s + " ".repeat(Math.max(0, n - s.length));
  const out = [c("2", `${pad("SCOPE", w[0]! + 2)}${pad("CHECK", w[1]! + 2)}${pad("STATUS", w[2]! + 2)}DETAIL`)];
  for (const r of checks) {
    out.push(`${pad(r.scope, w[0]! + 2)}${pad(r.check, w[1]! + 2)}${mark[r.status]}${" ".repeat(w[2]! + 2 - r.status.length)}${r.detail}`);
    if (r.hint && (r.status === "fail" || r.status === "warn")) out.push(`${" ".repeat(w[0]! + w[1]! + 4)}→ ${r.hint}`);
  }
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
  const probes = ctx.config.probes.filter((p) => !ctx.only.length || ctx.only.includes(p.name));
  if (!probes.length) {
    ctx.stderr(`no probe named ${ctx.only.join(", ")} in ${ctx.config.file}\n`);
    return 2;
  }
  const checks = await runDoctor(ctx.config, probes, ctx.signal);
  const ok = checks.every((r) => r.status !== "fail");
  const exitCode = ok ? 0 : 1;
  if (ctx.json) ctx.stdout(JSON.stringify({ ok, exitCode, version: ctx.version, checks }, null, 2) + "\n");
  else ctx.stdout(renderDoctor(checks, ctx.color));
  return exitCode;
}
