// A slow IMAP server (staged: a loopback proxy of ours in front of the lab's real Dovecot holds every
// command 800 ms during the wait, as Courier without gam_server takes ~1.3 s per command): a Junk
// landing must still be seen promptly. The wait asks Junk (STATUS) at its start and then every JUNK_STATUS_FAST_MS by the
// clock; before, it asked every 25 fast polls, which on such a server is ~20 s of NOOPs.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ResolvedPath } from "../../src/config/load.js";
import { openImap } from "../../src/receivers/imap.js";
import { accounts, addr, mx, port } from "../lab/topology.js";
import { ca, imapClient, uniqueToken } from "../helpers/lab.js";
import { imapRewriteProxy } from "../helpers/imap-rewrite.js";

const SENDER = "probe@sender.lab.test";
const DELAY_MS = 800;

test("a server at 800 ms a command (staged by our proxy): Junk is asked at the wait's start and between every two NOOPs, and a Junk landing ends the wait", async () => {
  const commands: { line: string; atMs: number }[] = [];
  // The open and the delete at full speed (only the wait is under test); read at every command.
  const slow = { clientDelayMs: 0, onClientLine: (line: string) => commands.push({ line, atMs: Date.now() }) };
  const proxy = await imapRewriteProxy(port.imapsStock, (l) => l, slow);
  // The `other` account: the probe account's INBOX stays as the other tests expect it.
  const path: ResolvedPath = {
    name: "slow",
    host: addr.listen,
    port: proxy.port,
    security: "tls",
    servername: mx.hostname,
    ca: ca().toString(),
    user: accounts.other.user,
    password: accounts.other.password,
    mailbox: "INBOX",
    junkMailbox: "Junk",
    connectTimeoutMs: 30_000,
    pollIntervalMs: 20,
    fastPollMs: 60_000,
  };
  const c = imapClient(port.imapsStock, accounts.other);
  await c.connect();
  const session = await openImap(path, AbortSignal.timeout(60_000));
  try {
    if (!(await c.list()).some((b) => b.path === "Junk")) await c.mailboxCreate("Junk");
    const token = uniqueToken();
    const waitStartMs = Date.now();
    slow.clientDelayMs = DELAY_MS;
    const wait = session.waitFor(token, AbortSignal.timeout(40_000), Date.now() + 60_000);
    await new Promise((r) => setTimeout(r, 5 * DELAY_MS));
    await c.append(
      "Junk",
      `From: ${SENDER}\r\nTo: ${accounts.other.user}\r\nSubject: mailprobe slow ${token}\r\nMessage-ID: <${token}@lab.test>\r\nX-Mailprobe-Token: ${token}\r\n\r\nbody\r\n`,
    );
    const landedMs = Date.now();
    const found = await wait;
    const foundMs = Date.now();
    slow.clientDelayMs = 0;
    assert.equal(found.mailbox, "Junk");
    const during = commands.filter((x) => x.atMs >= waitStartMs);
    const verb = (x: { line: string }) => /^\S+ (?:UID )?(\S+)/.exec(x.line)?.[1]?.toUpperCase();
    const firstStatus = during.findIndex((x) => verb(x) === "STATUS");
    const firstNoop = during.findIndex((x) => verb(x) === "NOOP");
    assert.ok(firstStatus >= 0 && (firstNoop < 0 || firstStatus < firstNoop), `Junk asked before the first NOOP: ${during.map(verb).join(" ")}`);
    // After the landing: the NOOP in flight, then Junk's STATUS finds it (each NOOP takes > 500 ms here);
    // asked every 25 polls instead, ~20 NOOPs go by first (~20 s).
    const after = during.filter((x) => x.atMs >= landedMs && x.atMs <= foundMs).map(verb);
    assert.ok(after.filter((v) => v === "NOOP").length <= 2, `commands between the landing and the verdict: ${after.join(" ")}`);
    await session.delete(found, { token, from: SENDER, probeName: "slow" }, AbortSignal.timeout(30_000));
  } finally {
    await session.close();
    await c.logout().catch(() => c.close());
    await proxy.close();
  }
});
