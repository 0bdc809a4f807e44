// `mailprobe validate`: the whole config load (schema, cross-field rules, secret and CA files)
// has already happened in main() by the time this runs, without any network; a config error
// exits 2 there. This prints the one-line summary of what was loaded (JSON with --json).
import type { LoadedConfig } from "../../config/load.js";
import type { CommandContext } from "../context.js";
import { redactDeep } from "../../redact.js";

export function summarize(config: LoadedConfig) {
  const probes = config.probes;
  const senders = [...new Set(probes.flatMap((p) => [p.sender.type, ...(p.watchSender ? [p.watchSender.type] : [])]))];
  const kuma = probes.reduce((n, p) => n + (p.kuma ? 1 : 0) + p.paths.filter((x) => x.kuma).length, 0);
  const sinks = [...(config.pushgateway ? ["pushgateway"] : []), ...(kuma ? [`kuma (${kuma} monitor${kuma > 1 ? "s" : ""})`] : [])];
  return {
    probes: probes.map((p) => p.name),
    paths: probes.reduce((n, p) => n + p.paths.length, 0),
    senders,
    sinks,
    serve: Boolean(config.serve),
    /** Whether serve pushes to the Pushgateway too (serve.push); without it serve only serves /metrics. */
    servePush: Boolean(config.serve?.push && config.pushgateway),
  };
}

/** With a serve block and a pushgateway block: whether serve pushes (serve.push) or only serves /metrics. */
function servePushText(config: LoadedConfig): string {
  if (!config.serve || !config.pushgateway) return "";
  return config.serve.push
    ? "; serve pushes to the Pushgateway too (serve.push: true)"
    : "; serve does not push (serve.push: false): the pushgateway block is for run; serve's /metrics is scraped";
}

export async function validateCommand(ctx: CommandContext): Promise<number> {
  const s = summarize(ctx.config);
  if (ctx.json)
    ctx.stdout(JSON.stringify(redactDeep({ ok: true, exitCode: 0, version: ctx.version, file: ctx.config.file, ...s }, ctx.stdoutRedact), null, 2) + "\n");
  else {
    const n = (k: number, word: string) => `${k} ${word}${k === 1 ? "" : "s"}`;
    ctx.stdout(
      `${ctx.config.file}: valid: ${n(s.probes.length, "probe")} (${s.probes.join(", ")}), ${n(s.paths, "path")}, ${n(s.senders.length, "sender")} (${s.senders.join(", ")}), sinks: ${s.sinks.join(", ") || "none"}${servePushText(ctx.config)}\n`,
    );
  }
  return 0;
}
