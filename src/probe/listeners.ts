// A sender route's listener as a certificate-only target (EHLO, STARTTLS, EHLO, QUIT; no MAIL): run
// reads the certificate the route's listener serves (the relayCheck entries read theirs during the
// relay check), doctor shows it. Which listener is the sender module's own say (its certTarget hook):
// the SMTP sender names its submission listener; an HTTP API sender (Brevo) has none.
import type { ResolvedSender } from "../config/load.js";
import { findSenderModule } from "../core/sender.js";
import type { NamedCertTarget } from "../net/smtp-relay.js";

export function senderCertTarget(name: string, sender: ResolvedSender | undefined): NamedCertTarget | undefined {
  if (!sender) return undefined;
  // A sender built in code without a registered module (tests' fakes) has no listener to read.
  const target = findSenderModule(sender.type)?.certTarget?.(sender);
  return target ? { name, ...target } : undefined;
}
