// The built-in receivers, for `builtins()` (src/builtins.ts) to register. IMAP's client (imapflow,
// ./imap.ts) loads on the first path opened, not when the registry is filled: `validate` needs none.
import type { Receiver } from "./session.js";
import { hasReceiver, receiverNamed, registerReceiver } from "./session.js";

export const imapReceiver: Receiver = {
  name: "imap",
  open: async (path, signal) => (await import("./imap.js")).openImap(path, signal),
};

export { hasReceiver, receiverNamed, registerReceiver };
export type { FoundMessage, Receiver, Session, SweepOptions } from "./session.js";
