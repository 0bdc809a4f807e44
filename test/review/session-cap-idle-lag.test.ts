// The IMAP session cap (imapSessionsPerUser, core/slots.ts) promises that the process never holds
// more sessions per login and host than the cap ("tens of probes to one server never pass the
// server's own limit"). serve and watch learn each path's IDLE lag during cleanup, while the run
// still holds its sessions: Session.idleLagMs opens a SECOND session of the same login
// (receivers/idle-lag.ts, the IDLE watcher). That session bypassed the slots: with the cap at the
// server's limit (what the [LIMIT] hint suggests), it goes one over. The e2e cap test runs `run`,
// which learns no IDLE lag, so it could not see it. No network: a fake session of ours stands in
// for the IMAP one and counts the sessions of its login, its IDLE watcher included.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ResolvedPath } from "../../src/config/load.js";
import { createSessionSlots } from "../../src/core/slots.js";
import { withSessionSlot } from "../../src/probe/slot-open.js";
import type { FoundMessage, Session } from "../../src/receivers/session.js";

const path = (name: string): ResolvedPath =>
  ({ name, host: "127.0.0.1", port: 993, security: "tls", user: "probe@lab.test", password: "x", mailbox: "INBOX", connectTimeoutMs: 1000 }) as ResolvedPath;

test("the IDLE-lag watcher session counts against imapSessionsPerUser: never more sessions of one login than the cap", async () => {
  const slots = createSessionSlots(2);
  let live = 0;
  let most = 0;
  const opened = () => ((live += 1), (most = Math.max(most, live)));
  const open = withSessionSlot(slots, async (p) => {
    opened();
    return {
      path: p,
      openMs: 1,
      mailbox: "INBOX",
      // As ImapSession.idleLagMs: a second session of the same login while this one stays open.
      idleLagMs: async () => {
        opened();
        live -= 1;
        return 500;
      },
      close: async () => void (live -= 1),
    } as unknown as Session;
  });
  const signal = new AbortController().signal;
  const [a, b] = await Promise.all([open(path("one"), signal), open(path("two"), signal)]);
  const lag = await a.idleLagMs!({ uid: 1, mailbox: "INBOX" } as FoundMessage, signal);
  assert.ok(most <= 2, `${most} sessions of one login at once with imapSessionsPerUser: 2`);
  assert.equal(lag, undefined, "no slot free: the lag is not measured this time (the next cycle tries again)");
  await Promise.all([a.close(), b.close()]);
  const c = await open(path("one"), signal);
  assert.equal(await c.idleLagMs!({ uid: 1, mailbox: "INBOX" } as FoundMessage, signal), 500, "with a slot free it is measured");
  await c.close();
  assert.equal(slots.inUse("probe@lab.test\u0000127.0.0.1"), 0);
});
