// Left-behind counting against the lab's real Dovecot, reached by the lab's two paths (external through
// HAProxy, internal directly): two listeners of one mailbox. A stale message from our sender in the
// token format whose MAC was made under a previous key (a rotated tokenKey, or a version before
// tokenKey) is not removable, and must be counted in leftBehind — once, not once per listener.
import assert from "node:assert/strict";
import { test } from "node:test";
import { newToken, tokenKey } from "../../src/core/token.js";
import { accounts, brevo, port } from "../lab/topology.js";
import { labConfig, runCli } from "../helpers/cli.js";
import { imapClient } from "../helpers/lab.js";

test("a stale message of a previous tokenKey is left behind and counted once across the two listeners of one mailbox", async () => {
  const cfg = labConfig((c) => (c.probes[0].cleanup.staleAfterSeconds = 60));
  const leftOf = async () => {
    const res = await runCli(["run", "--config", cfg, "--json"]);
    assert.equal(res.code, 0, res.stderr);
    const p = res.json.probes[0];
    assert.deepEqual(
      p.paths.map((x: { name: string }) => x.name),
      ["external", "internal"],
    );
    return { total: p.cleanup.leftBehind as number, perPath: p.paths.map((x: { leftBehind?: number }) => x.leftBehind ?? 0) as number[] };
  };
  // What earlier tests on this lab left (their look-alikes stay, by design): the baseline.
  const before = await leftOf();
  const old = new Date(Date.now() - 2 * 3600_000);
  const rotated = newToken(tokenKey("the-previous-token-key-0123456789abcdef-0123"), old.getTime());
  const tag = `left-behind-${Date.now()}`;
  const raw =
    `From: ${brevo.sender}\r\nTo: ${accounts.probe.user}\r\nSubject: mailprobe inbound ${rotated}\r\nMessage-ID: <${tag}@lab.test>\r\n` +
    `Date: ${old.toUTCString()}\r\nX-Mailprobe-Token: ${rotated}\r\n\r\nbody\r\n`;
  const c = imapClient(port.imapsStock);
  await c.connect();
  try {
    await c.append("INBOX", raw, [], old);
    const after = await leftOf();
    assert.equal(after.total, before.total + 1, `one more message left behind: before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
    assert.equal(
      after.perPath.reduce((a, b) => a + b, 0),
      after.total,
      "the per-path gauges add up to the run's count (not one per listener)",
    );
    await c.mailboxOpen("INBOX");
    assert.equal(((await c.search({ header: { "message-id": tag } }, { uid: true })) || []).length, 1, "the unprovable message is kept");
  } finally {
    await c.mailboxOpen("INBOX").catch(() => undefined);
    const uids = (await c.search({ header: { "message-id": tag } }, { uid: true }).catch(() => [])) || [];
    if (uids.length) await c.messageDelete(uids.join(","), { uid: true }).catch(() => undefined);
    await c.logout();
  }
});
