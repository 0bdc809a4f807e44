// `mailprobe watch`: the cutover view (watch/session.ts). Repeats the cycle until Ctrl-C (or
// --count), shows one live row per path on a TTY and prints a timestamped line at every state
// change; without a TTY (or with --json) it prints JSON lines. Ctrl-C aborts the running cycle
// (which still deletes its own message, and only that) and prints the summary.
import { parseDuration } from "../../watch/budget.js";
import { route } from "../../watch/route.js";
import { runWatch } from "../../watch/session.js";
import type { CommandContext } from "../context.js";

const DEFAULT_EVERY = "30s";

export async function watchCommand(ctx: CommandContext): Promise<number> {
  const everyMs = parseDuration(String(ctx.args.every ?? DEFAULT_EVERY));
  if (everyMs === undefined) {
    ctx.stderr(`mailprobe watch: --every ${String(ctx.args.every)} is not a duration of at least 1 s (e.g. 30s, 2m, 1m30s)\n`);
    return 2;
  }
  const count = ctx.args.count === undefined ? undefined : Number(ctx.args.count);
  if (count !== undefined && !(Number.isInteger(count) && count > 0)) {
    ctx.stderr(`mailprobe watch: --count ${String(ctx.args.count)} is not a positive whole number\n`);
    return 2;
  }
  const routed = route(ctx.probes, ctx.args.via as string | undefined);
  if (typeof routed === "string") {
    ctx.stderr(`mailprobe watch: ${routed}\n`);
    return 2;
  }
  return runWatch({
    probes: routed,
    everyMs,
    count,
    live: !ctx.json && ctx.tty,
    json: ctx.json,
    color: ctx.color,
    force: Boolean(ctx.args.force),
    log: ctx.log,
    signal: ctx.signal,
    stdout: ctx.stdout,
    redact: ctx.stdoutRedact,
    stderr: ctx.stderr,
    width: () => process.stdout.columns || 120,
    imapSessionsPerUser: ctx.config.imapSessionsPerUser,
  });
}
