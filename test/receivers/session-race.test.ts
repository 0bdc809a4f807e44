// Review 1, finding 1: a wait cut off during its Junk check must not make cleanup act on the wrong
// mailbox. Staged against the lab's real Dovecot through the Session API: our message sits in Junk
// at UID N, the wait is aborted the moment it selects Junk (its search still in flight), the last
// look (findNow) runs at once on the same session, and a friend's message is then at UID N in
// INBOX. Before the fix the last look read Junk as if it were INBOX and delete() expunged the
// friend's INBOX message N.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ResolvedPath } from "../../src/config/load.js";
import { openImap } from "../../src/receivers/imap.js";
import { accounts, addr, mx, port } from "../lab/topology.js";
import { ca, imapClient } from "../helpers/lab.js";

// The `other` account: the probe account's INBOX stays as the other tests expect it.
const path: ResolvedPath = {
  name: "internal",
  host: addr.listen,
  port: port.imapsStock,
  security: "tls",
  servername: mx.hostname,
  ca: ca().toString(),
  user: accounts.other.user,
  password: accounts.other.password,
  mailbox: "INBOX",
  junkMailbox: "Junk",
  connectTimeoutMs: 10_000,
  pollIntervalMs: 20,
  fastPollMs: 30_000,
};

const SENDER = "probe@sender.lab.test";
const msg = (from: string, subject: string, extra = "") =>
  `From: ${from}\r\nTo: ${accounts.other.user}\r\nSubject: ${subject}\r\nMessage-ID: <race-${Math.random()}@example.org>\r\n${extra}\r\nbody\r\n`;

test("a wait aborted during its Junk search: the last look and delete never touch a foreign INBOX message with the Junk message's UID", async () => {
  const c = imapClient(port.imapsStock, accounts.other);
  await c.connect();
  try {
    if (!(await c.list()).some((b) => b.path === "Junk")) await c.mailboxCreate("Junk");
    const next = async (box: string) => ((await c.status(box, { uidNext: true })) || { uidNext: 0 }).uidNext!;
    while ((await next("INBOX")) > (await next("Junk"))) await c.append("Junk", msg("spam@example.org", "pad"));
    const token = `mp1.mwwzzzzz.${"A".repeat(22)}.${"B".repeat(22)}`.replace("AAAA", Math.random().toString(36).slice(2, 6));
    const junkUid = ((await c.append("Junk", msg(SENDER, `mailprobe race ${token}`, `X-Mailprobe-Token: ${token}\r\n`))) as { uid: number }).uid;
    while ((await next("INBOX")) < junkUid) await c.append("INBOX", msg("filler@example.org", "pad"));

    const session = await openImap(path, AbortSignal.timeout(15_000));
    try {
      const ac = new AbortController();
      // Slow mode from the start: the first loop asks Junk's STATUS, sees messages and searches Junk (SELECT Junk).
      const waiting = session.waitFor(token, ac.signal, 0).then(
        (f) => ({ found: f }),
        (err: unknown) => ({ err }),
      );
      const selectsAtOpen = session.commands!().SELECT ?? 0;
      await new Promise<void>((resolve) => {
        const tick = () => ((session.commands!().SELECT ?? 0) > selectsAtOpen ? resolve() : setImmediate(tick));
        tick();
      });
      ac.abort(new Error("deadline"));
      const w = await waiting;
      assert.ok("err" in w, "the wait was aborted before its Junk search returned (the race is staged)");

      const found = await session.findNow(token, AbortSignal.timeout(10_000));
      // A friend's message now holds UID N in INBOX, the UID of our message in Junk.
      const friendText = msg("friend@example.org", "a friend's mail, not mailprobe");
      const foreign = (await c.append("INBOX", friendText)) as { uid: number };
      assert.equal(foreign.uid, junkUid, "the foreign INBOX message has the Junk message's UID");
      const action =
        found && (await session.delete(found, { token, from: SENDER, probeName: "race" }, AbortSignal.timeout(10_000)).catch((err: unknown) => String(err)));
      await c.mailboxOpen("INBOX");
      const body = await c.fetchOne(String(foreign.uid), { source: true }, { uid: true });
      assert.equal(body && body.source?.toString(), friendText, `the foreign INBOX message survives byte for byte (delete: ${JSON.stringify(action)})`);
      // The last look reads INBOX only: Junk's UID N is never taken for INBOX's UID N.
      assert.ok(!(found && found.mailbox === "INBOX" && found.uid === junkUid), `findNow reported Junk uid ${junkUid} as an INBOX message`);
    } finally {
      await session.close();
    }
  } finally {
    await c.logout();
  }
});
