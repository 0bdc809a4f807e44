import type { CommandContext } from "../context.js";

export async function doctorCommand(ctx: CommandContext): Promise<number> {
  ctx.stderr("mailprobe doctor: not available in this build yet\n");
  return 2;
}
