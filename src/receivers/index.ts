// The built-in receivers, registered in the receiver registry (./session.ts).
import { openImap } from "./imap.js";
import { receiverFor, registerReceiver } from "./session.js";

registerReceiver({ name: "imap", open: openImap });

export { receiverFor, registerReceiver };
export type { FoundMessage, Receiver, Session, SweepOptions } from "./session.js";
