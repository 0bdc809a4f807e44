import type { CommandContext } from "../context.js";

export async function serveCommand(ctx: CommandContext): Promise<number> {
  ctx.stderr("mailprobe serve: not available in this build yet\n");
  return 2;
}
