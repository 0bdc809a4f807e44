// The process-wide open turns (core/slots.ts OPENS_AT_ONCE, probe/slot-open.ts) are meant for the
// handshake ("a turn is held only for the open itself"), but a turn was held for the whole open:
// TCP, TLS, LOGIN, SELECT... A server that greets and then never answers LOGIN (an auth backend
// down: a common Dovecot failure) keeps its opens pending until the socket timeout (60 s) or the
// run's deadline. OPENS_AT_ONCE such opens then hold every turn of the process, and the paths of
// every other probe, to healthy servers, wait behind them and fail their deadline: one broken
// server is reported as all of them failing. The turn must come back by the path's connect timeout.
// No network: the stalled server is a fake opener of ours that never settles (what imapflow does
// while a server sits on LOGIN), the healthy one opens at once.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ResolvedPath } from "../../src/config/load.js";
import { createSessionSlots } from "../../src/core/slots.js";
import { withSessionSlot } from "../../src/probe/slot-open.js";
import type { Session } from "../../src/receivers/session.js";

const path = (name: string, host: string): ResolvedPath =>
  ({ name, host, port: 993, security: "tls", user: `${name}@lab.test`, password: "x", mailbox: "INBOX", connectTimeoutMs: 200 }) as ResolvedPath;

test("opens stalled on one server give their turns back by the connect timeout: another server's path still opens", async () => {
  const slots = createSessionSlots(4, 2);
  const stalled = new AbortController();
  const open = withSessionSlot(slots, (p, signal) => {
    if (p.host === "stalled.test")
      return new Promise<Session>((_, reject) => signal.addEventListener("abort", () => reject(signal.reason as Error), { once: true }));
    return Promise.resolve({ path: p, openMs: 1, close: async () => undefined } as unknown as Session);
  });
  const pending = [open(path("s1", "stalled.test"), stalled.signal), open(path("s2", "stalled.test"), stalled.signal)];
  pending.forEach((p) => p.catch(() => undefined));
  let timer: NodeJS.Timeout | undefined;
  try {
    const healthy = open(path("ok", "healthy.test"), new AbortController().signal);
    const late = new Promise<"stuck">((r) => (timer = setTimeout(() => r("stuck"), 10_000)));
    const got = await Promise.race([healthy, late]);
    assert.notEqual(got, "stuck", "the healthy path waited behind the stalled server's opens");
    await (got as Session).close();
  } finally {
    clearTimeout(timer);
    stalled.abort(new Error("test over"));
    await Promise.allSettled(pending);
  }
});
