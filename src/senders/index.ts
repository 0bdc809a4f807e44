// The sender map: a new sender is one file and one line here.
import type { ResolvedSender } from "../config/load.js";
import type { Sender } from "./types.js";

type Factory<T extends ResolvedSender["type"]> = (cfg: Extract<ResolvedSender, { type: T }>) => Promise<Sender>;

export const SENDERS: { [T in ResolvedSender["type"]]: Factory<T> } = {
  brevo: async (cfg) => (await import("./brevo.js")).createBrevoSender(cfg),
  smtp: async (cfg) => (await import("./smtp.js")).createSmtpSender(cfg),
};

export function createSender(cfg: ResolvedSender): Promise<Sender> {
  return (SENDERS[cfg.type] as Factory<typeof cfg.type>)(cfg as never);
}
