// An SMTP sender route's listener as a certificate-only target (EHLO, STARTTLS, EHLO, QUIT; no MAIL):
// run reads the certificate the route's submission listener serves (the relayCheck entries read
// theirs during the relay check), doctor shows it. Sender blocks of other types have no listener.
import type { ResolvedSender } from "../config/load.js";
import type { RelayTarget } from "../net/smtp-relay.js";
import type { SmtpConfig } from "../senders/smtp/index.js";

export function senderCertTarget(name: string, sender: ResolvedSender | undefined): RelayTarget | undefined {
  const s = sender as (ResolvedSender & Partial<SmtpConfig>) | undefined;
  if (s?.type !== "smtp" || !s.host || !s.port || s.security === "none") return undefined;
  return {
    name,
    host: s.host,
    port: s.port,
    security: s.security ?? "starttls",
    servername: s.servername,
    ca: s.ca,
    localAddress: s.localAddress,
    proxyProtocol: s.proxyProtocol,
    heloName: s.heloName ?? "mailprobe",
    mailFrom: s.from,
    timeoutMs: (s.timeoutSeconds ?? 10) * 1000,
  };
}
