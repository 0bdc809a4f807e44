// IMAP server shapes of issue 19 that the lab's Dovecot can show (h5's lab brings Cyrus, Courier and
// Dovecot's INBOX. layout; its matrix runs these shapes there): the configured spelling of INBOX, a
// SELECT without UIDNEXT (staged: a loopback proxy of ours drops it, the way Courier's SELECT does),
// the junk mailbox from SPECIAL-USE or turned off, a configured trash mailbox against the server's.
// Through the receiver's Session API on the real Dovecot, on the `other` account.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ResolvedPath } from "../../src/config/load.js";
import { openImap } from "../../src/receivers/imap.js";
import { accounts, addr, mx, port } from "../lab/topology.js";
import { ca, imapClient, uniqueToken } from "../helpers/lab.js";
import { dropUidNext, imapRewriteProxy } from "../helpers/imap-rewrite.js";

const SENDER = "probe@sender.lab.test";
const base: ResolvedPath = {
  name: "shape",
  host: addr.listen,
  port: port.imapsStock,
  security: "tls",
  servername: mx.hostname,
  ca: ca().toString(),
  user: accounts.other.user,
  password: accounts.other.password,
  mailbox: "INBOX",
  connectTimeoutMs: 10_000,
  pollIntervalMs: 20,
  fastPollMs: 30_000,
};
const message = (token: string) =>
  `From: ${SENDER}\r\nTo: ${accounts.other.user}\r\nSubject: mailprobe shape ${token}\r\nMessage-ID: <${token}@lab.test>\r\nX-Mailprobe-Token: ${token}\r\n\r\nbody\r\n`;

async function append(mailbox: string, token: string): Promise<void> {
  const c = imapClient(port.imapsStock, accounts.other);
  await c.connect();
  try {
    if (!(await c.list()).some((b) => b.path === mailbox)) await c.mailboxCreate(mailbox);
    await c.append(mailbox, message(token));
  } finally {
    await c.logout();
  }
}

/** Opens, delivers one message after the open, waits for it and deletes it. */
async function roundtrip(path: ResolvedPath, into = "INBOX") {
  const session = await openImap(path, AbortSignal.timeout(15_000));
  try {
    const token = uniqueToken();
    await append(into, token);
    const found = await session.waitFor(token, AbortSignal.timeout(10_000), into === "INBOX" ? Date.now() + 10_000 : 0);
    const action = await session.delete(found, { token, from: SENDER, probeName: "shape" }, AbortSignal.timeout(10_000));
    return { session, found, action };
  } finally {
    await session.close();
  }
}

test("mailbox: inbox (any case) is the server's INBOX: the wait, the mailbox check and the delete work (issue 19, item 2)", async () => {
  for (const mailbox of ["inbox", "Inbox"]) {
    const { session, found, action } = await roundtrip({ ...base, mailbox });
    assert.equal(session.mailbox, "INBOX");
    assert.equal(found.mailbox, "INBOX");
    assert.equal(action.removed, true, action.detail);
  }
});

test("a SELECT without UIDNEXT (staged by our proxy, as Courier): the fallback is decided at open, said in notes and by doctor, and the run works (issue 19, item 1)", async () => {
  const proxy = await imapRewriteProxy(port.imapsStock, dropUidNext);
  try {
    const path = { ...base, port: proxy.port };
    const { session, action } = await roundtrip(path);
    assert.notEqual(session.uidNextSource, "select");
    assert.match(session.notes().join(" "), /SELECT sent no UIDNEXT: new mail starts at uid \d+ \(STATUS UIDNEXT\)/);
    assert.equal(action.removed, true, action.detail);
    const s2 = await openImap(path, AbortSignal.timeout(15_000));
    try {
      const lines = await s2.rehearse(AbortSignal.timeout(10_000));
      const uidnext = lines.find((l) => l.check === "uidnext")!;
      assert.match(uidnext.detail, /SELECT sent no UIDNEXT/);
      assert.equal(lines.find((l) => l.check === "look back")?.status, "ok", JSON.stringify(lines));
    } finally {
      await s2.close();
    }
  } finally {
    await proxy.close();
  }
});

test("junkMailbox unset: the mailbox flagged SPECIAL-USE \\Junk is watched and said; `none` turns the Junk checks off (issue 19, item 3)", async () => {
  const { session, found, action } = await roundtrip(base, "Junk");
  assert.equal(session.junkMailbox, "Junk");
  assert.match(session.notes().join(" "), /Junk: the server flags it SPECIAL-USE \\Junk/);
  assert.equal(found.mailbox, "Junk");
  assert.equal(action.removed, true, action.detail);
  const off = await openImap({ ...base, junkMailbox: "none" }, AbortSignal.timeout(15_000));
  try {
    assert.equal(off.junkMailbox, undefined);
    assert.equal((await off.rehearse(AbortSignal.timeout(10_000))).find((l) => l.check === "junk mailbox")?.detail, "junkMailbox: none: Junk checks are off");
  } finally {
    await off.close();
  }
});

test("a configured trashMailbox wins over the server's \\Trash and imapflow's guess by name; doctor says which (issue 19, item 5)", async () => {
  const c = imapClient(port.imapsStock, accounts.other);
  await c.connect();
  if (!(await c.list()).some((b) => b.path === "ProbeTrash")) await c.mailboxCreate("ProbeTrash");
  await c.logout();
  const s = await openImap({ ...base, host: addr.noUidplusMove, port: port.imapsNoUidplus, trashMailbox: "ProbeTrash" }, AbortSignal.timeout(15_000));
  try {
    assert.equal(s.cleanupMode, "moved-to-trash");
    assert.match(s.cleanupWhy, /to ProbeTrash \(imap\.trashMailbox\)/);
  } finally {
    await s.close();
  }
  const d = await openImap({ ...base, host: addr.noUidplusMove, port: port.imapsNoUidplus }, AbortSignal.timeout(15_000));
  try {
    assert.match(d.cleanupWhy, /to Trash \(SPECIAL-USE \\Trash\)/);
  } finally {
    await d.close();
  }
});
