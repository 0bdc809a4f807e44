// Self-tests of the lab's other IMAP stores (Dovecot INBOX., Cyrus in both naming modes and without
// UIDPLUS, Courier): real servers only, no probe code. Each receives through the lab's real path
// (HAProxy → postscreen → Rspamd → its delivery) and files probe+Junk@ into its own junk folder.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { ImapFlow } from "imapflow";
import { gamClientId, imapScript } from "./imap-servers.js";
import { storeById, stores } from "./stores.js";
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

// Without gam_server (package gamin) Courier answers every login with an ALERT and takes ~1.3 s per
// command (it falls back to polling the Maildir): the shapes matrix would measure that, not us.
test("courier: gam_server serves its sessions, on this lab's own GAM_CLIENT_ID (no filesystem-notification ALERT)", async () => {
  const s = storeById("courier");
  const c = storeClient(s);
  await c.connect();
  try {
    await c.mailboxOpen("INBOX");
    // gamin's server listens on the abstract socket /tmp/fam-USER-ID (NUL-padded: "@" in /proc/net/unix);
    // Courier's imapd runs as nobody.
    const socket = `@/tmp/fam-nobody-${gamClientId()}`;
    const names = readFileSync("/proc/net/unix", "utf8")
      .split("\n")
      .map((l) => l.trim().split(/\s+/)[7]?.replace(/@+$/, ""));
    assert.ok(names.includes(socket), `${socket} listening`);
  } finally {
    await c.logout().catch(() => c.close());
  }
  const transcript = await imapScript(s.port, s.user, s.password, ["SELECT INBOX"]);
  assert.doesNotMatch(transcript, /Filesystem notification initialization error/);
});
