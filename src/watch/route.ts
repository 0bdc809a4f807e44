// watch's routes: which sender each probe uses for this watch (--via), and the account credits of
// a sender that has them (the budget).
import type { ResolvedProbe, ResolvedSender } from "../config/load.js";
import { createSender, findSenderModule, senderModule, senderTypeList, type SenderModule } from "../senders/index.js";

/** Chooses each probe's route for this watch: its sender, or its watchSender when --via names that type. */
export function route(probes: ResolvedProbe[], via: string | undefined): ResolvedProbe[] | string {
  if (!via) return probes;
  if (!findSenderModule(via)) return `--via must be ${senderTypeList(false)}, not "${via}"`;
  const out: ResolvedProbe[] = [];
  for (const p of probes) {
    const s: ResolvedSender | undefined = p.sender.type === via ? p.sender : p.watchSender?.type === via ? p.watchSender : undefined;
    if (!s) return `probe ${p.name} has no ${via} route: add probes[].watchSender with type: ${via} to the config`;
    out.push({ ...p, sender: s, received: s.received });
  }
  return out;
}

/** The first sender with credits to show among the probes' routes: its probes are budgeted. */
export function creditSender(probes: ResolvedProbe[]): { module: SenderModule; probes: number } | undefined {
  const module = probes.map((p) => senderModule(p.sender.type)).find((m) => m.hasCredits);
  return module && { module, probes: probes.filter((p) => p.sender.type === module.type).length };
}

export async function accountCredits(probes: ResolvedProbe[], type: string, signal: AbortSignal): Promise<{ credits?: number; detail?: string }> {
  const probe = probes.find((p) => p.sender.type === type);
  if (!probe) return {};
  const sender = await createSender(probe.sender);
  try {
    const v = sender.verify ? await sender.verify(signal) : undefined;
    return { credits: v?.credits, detail: v && !v.ok ? v.detail : undefined };
  } catch (err) {
    return { detail: err instanceof Error ? err.message : String(err) };
  } finally {
    sender.close();
  }
}
