// The built-in senders, registered in the one sender registry (core/sender.ts). A new sender is one
// folder and one line here — or a `registerSender` call of its own at run time.
import { registerSender } from "../core/sender.js";
import { brevoSender } from "./brevo/index.js";
import { smtpSender } from "./smtp/index.js";

export function registerBuiltinSenders(): void {
  registerSender(brevoSender);
  registerSender(smtpSender);
}

registerBuiltinSenders();

export { createSender, findSenderModule, registerSender, senderModule, senderModules, senderTypeList, type SenderModule } from "../core/sender.js";
