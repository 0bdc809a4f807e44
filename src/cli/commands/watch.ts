import type { CommandContext } from "../context.js";

export async function watchCommand(ctx: CommandContext): Promise<number> {
  ctx.stderr("mailprobe watch: not available in this build yet\n");
  return 2;
}
