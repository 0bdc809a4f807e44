// The built-in plug-ins — senders, receivers, sinks — registered by one explicit call: the CLI's
// `main` calls it, an embedding program or a test calls it before loading a config. Registration
// is cheap: each module's heavy code (the Brevo SDK, nodemailer, imapflow, prom-client) loads on
// first use. A name already registered is kept, so that a plug-in may replace a built-in and
// calling it again changes nothing.
import { findSenderModule, registerSender } from "./core/sender.js";
import { hasReceiver, imapReceiver, registerReceiver } from "./receivers/index.js";
import { builtinSenders } from "./senders/index.js";
import { builtinSinks, registerSink } from "./sinks/index.js";
import { sinkModules } from "./sinks/registry.js";

export function builtins(): void {
  for (const s of builtinSenders) if (!findSenderModule(s.type)) registerSender(s);
  if (!hasReceiver(imapReceiver.name)) registerReceiver(imapReceiver);
  const sinks = new Set(sinkModules().map((m) => m.name));
  for (const s of builtinSinks) if (!sinks.has(s.name)) registerSink(s);
}
