// The built-in senders, for `builtins()` (src/builtins.ts) to register in the one sender registry
// (core/sender.ts). A new sender is one folder and one entry here — or a `registerSender` call of
// its own at run time. Each module's client loads on its first `create`.
import type { SenderModule } from "../core/sender.js";
import { brevoSender } from "./brevo/index.js";
import { smtpSender } from "./smtp/index.js";

export const builtinSenders = [brevoSender, smtpSender] as unknown as SenderModule[];

export { createSender, findSenderModule, registerSender, senderModule, senderModules, senderTypeList, type SenderModule } from "../core/sender.js";
