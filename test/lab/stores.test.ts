// Self-tests of the lab's other IMAP stores (Dovecot INBOX., Cyrus in both naming modes and without
// UIDPLUS, Courier): real servers only, no probe code. Each receives through the lab's real path
// (HAProxy → postscreen → Rspamd → its delivery) and files probe+Junk@ into its own junk folder.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ImapFlow } from "imapflow";
import { stores } from "./stores.js";
import { port } from "./topology.js";
import { smtpSend, storeClient, uniqueToken } from "../helpers/lab.js";

async function waitIn(c: ImapFlow, mailbox: string, subject: string, timeoutMs = 15_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  await c.mailboxOpen(mailbox);
  for (;;) {
    const uids = (await c.search({ subject }, { uid: true })) || [];
    if (uids.length) return uids[0]!;
    if (Date.now() > end) throw new Error(`no ${subject} in ${mailbox} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
    await c.noop();
  }
}

for (const s of stores) {
  test(`${s.id}: delivered through the MX into INBOX, and probe+Junk@ into ${s.junkFull}; capabilities as staged`, async () => {
    const inbox = uniqueToken();
    const junk = uniqueToken();
    await smtpSend({ port: port.extSmtp, to: s.user, subject: inbox });
    await smtpSend({ port: port.extSmtp, to: s.user.replace("@", "+Junk@"), subject: junk });
    const c = storeClient(s);
    await c.connect();
    try {
      assert.equal(c.capabilities.has("UIDPLUS"), s.uidplus, "UIDPLUS announced as the store says");
      await waitIn(c, "INBOX", inbox);
      const box = await c.mailboxOpen("INBOX");
      assert.equal(box.uidNext !== undefined, s.selectUidnext, `SELECT [UIDNEXT] ${s.selectUidnext ? "present" : "absent"}`);
      await waitIn(c, s.junkFull, junk);
      const list = await c.list();
      assert.ok(
        list.some((m) => m.path === s.junkFull),
        `${s.junkFull} listed: ${list.map((m) => m.path).join(", ")}`,
      );
    } finally {
      await c.logout().catch(() => c.close());
    }
  });
}
