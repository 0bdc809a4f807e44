// The roundtrip of a seen message in stages, from the facts at hand: our clock around the send, the
// sender's log (when it was read), the entry hop's Received date (read by checks/message.ts). Pure.
import type { ResolvedProbe } from "../config/load.js";
import type { SendResult, Stages } from "../core/result.js";
import type { FoundMessage } from "../receivers/session.js";

const toSeconds = (ms: number) => Math.round(ms) / 1000;

export function stagesOf(
  found: FoundMessage,
  ctx: { probe: ResolvedProbe; send: SendResult; sendStartMs: number; deliveredMs?: number; /** The entry hop's date (epoch ms). */ mxMs?: number },
): Stages {
  const seen = toSeconds(found.seenAtMs - ctx.sendStartMs);
  const stages: Stages = { seen };
  if (ctx.send.seconds !== undefined) stages.send = ctx.send.seconds;
  const acceptedMs = ctx.sendStartMs + (ctx.send.seconds ?? 0) * 1000;
  if (ctx.deliveredMs !== undefined) stages.upstream = toSeconds(Math.max(0, ctx.deliveredMs - acceptedMs));
  const mxMs = ctx.mxMs;
  // The Received date is truncated to the second, so it can fall before the send started: the stage is
  // counted from the later of the two and never exceeds the roundtrip nor goes below 0 (1 s resolution).
  if (mxMs !== undefined) stages.mx = Math.min(seen, toSeconds(Math.max(0, found.seenAtMs - Math.max(mxMs, ctx.sendStartMs))));
  return stages;
}
