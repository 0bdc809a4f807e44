// The benchmarks' view of the counting IMAPS relay (test/helpers/session-counter.ts): a probe path
// pointed at it sees the same server, one loopback hop further, and the relay counts the client's
// tagged commands (mailprobe does not log them, and Dovecot 2.3 has no per-session command count).
import { sessionCounter } from "../test/helpers/session-counter.js";

export interface ImapCounts {
  connections: number;
  commands: number;
  /** Commands by verb ("UID FETCH", "NOOP", "IDLE", …). */
  byVerb: Map<string, number>;
}

export async function imapCounter(targetPort: number): Promise<{ port: number; take: () => ImapCounts; close: () => Promise<void> }> {
  const relay = await sessionCounter(targetPort);
  return {
    port: relay.port,
    /** The counts since the last take (or the start), and a fresh start. */
    take: () => {
      const byVerb = relay.commands();
      const c = { connections: relay.total(), commands: [...byVerb.values()].reduce((a, b) => a + b, 0), byVerb };
      relay.reset();
      return c;
    },
    close: () => relay.close(),
  };
}
