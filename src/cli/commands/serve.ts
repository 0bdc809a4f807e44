// `mailprobe serve`: wiring over serve/server.ts. Serves until SIGTERM/SIGINT, then stops
// scheduling, lets running cycles finish (or aborts them at the grace period) and exits 0.
import { serveSettings } from "../../config/load.js";
import { startServe } from "../../serve/server.js";
import type { CommandContext } from "../context.js";

export async function serveCommand(ctx: CommandContext): Promise<number> {
  const settings = ctx.config.serve ?? serveSettings();
  let serving: Awaited<ReturnType<typeof startServe>>;
  try {
    serving = await startServe({ config: ctx.config, settings, probes: ctx.probes, log: ctx.log, redact: ctx.stdoutRedact, reload: ctx.reloadConfig });
  } catch (err) {
    // The listening socket is configuration: one line naming the field, exit 2 (never a stack trace).
    const code = (err as { code?: string }).code;
    if (code !== "EADDRINUSE" && code !== "EACCES" && code !== "EADDRNOTAVAIL") throw err;
    const why = code === "EADDRINUSE" ? "is already in use" : code === "EACCES" ? "needs privileges this process lacks" : "is not an address of this host";
    ctx.stderr(`mailprobe: serve.listen ${settings.listen}, serve.port ${settings.port} ${why} (${code}): choose another serve.port (or serve.listen)\n`);
    return 2;
  }
  ctx.log.info({ listen: serving.address, probes: ctx.probes.map((p) => p.name) }, "serving");
  await new Promise<void>((resolve) => (ctx.signal.aborted ? resolve() : ctx.signal.addEventListener("abort", () => resolve(), { once: true })));
  await serving.stop();
  // The stop gave up after shutdownGraceSeconds: whatever a wedged cycle still holds open must not
  // keep the process alive (an unref'd timer fires only if something else still does).
  setTimeout(() => process.exit(), 200).unref();
  return 0;
}
