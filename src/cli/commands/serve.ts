// `mailprobe serve`: wiring over serve/server.ts. Serves until SIGTERM/SIGINT, then stops
// scheduling, lets running cycles finish (or aborts them at the grace period) and exits 0.
import { serveSettings } from "../../config/load.js";
import { startServe } from "../../serve/server.js";
import type { CommandContext } from "../context.js";

export async function serveCommand(ctx: CommandContext): Promise<number> {
  const settings = ctx.config.serve ?? serveSettings();
  const serving = await startServe({ config: ctx.config, settings, probes: ctx.probes, log: ctx.log, redact: ctx.stdoutRedact });
  ctx.log.info({ listen: serving.address, probes: ctx.probes.map((p) => p.name) }, "serving");
  await new Promise<void>((resolve) => (ctx.signal.aborted ? resolve() : ctx.signal.addEventListener("abort", () => resolve(), { once: true })));
  await serving.stop();
  // The stop gave up after shutdownGraceSeconds: whatever a wedged cycle still holds open must not
  // keep the process alive (an unref'd timer fires only if something else still does).
  setTimeout(() => process.exit(), 200).unref();
  return 0;
}
