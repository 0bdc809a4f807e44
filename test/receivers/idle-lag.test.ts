// serve and watch learn each path's IDLE lag and poll fast only where IDLE is slow (issue 14). The
// measurement against the lab's real Dovecot (a second session IDLEs, the run's session flags the
// found message), and the decision it feeds (pure).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ResolvedPath } from "../../src/config/load.js";
import { createIdleLagMemory, fastUntil, IDLE_PROMPT_MS } from "../../src/probe/idle-memory.js";
import { IDLE_LAG_LIMIT_MS } from "../../src/receivers/idle-lag.js";
import { openImap } from "../../src/receivers/imap.js";
import { accounts, addr, mx, port } from "../lab/topology.js";
import { ca, smtpSend, uniqueToken } from "../helpers/lab.js";

const path: ResolvedPath = {
  name: "internal",
  host: addr.listen,
  port: port.imapsStock,
  security: "tls",
  servername: mx.hostname,
  ca: ca().toString(),
  user: accounts.probe.user,
  password: accounts.probe.password,
  mailbox: "INBOX",
  connectTimeoutMs: 10_000,
  pollIntervalMs: 20,
  fastPollMs: 30_000,
};

test("the lab's Dovecot announces a change to an IDLE client late (its fixed 500 ms): measured on a found message, classified slow", async (t) => {
  const session = await openImap(path, AbortSignal.timeout(15_000));
  try {
    const token = uniqueToken();
    await smtpSend({ port: port.smtpStock, subject: `idle lag ${token}`, headers: { "X-Mailprobe-Token": token } });
    const found = await session.waitFor(token, AbortSignal.timeout(15_000), Date.now() + 15_000);
    const lag = await session.idleLagMs!(found, AbortSignal.timeout(10_000));
    t.diagnostic(`IDLE lag ${lag} ms`);
    assert.ok(lag !== undefined && lag > 0 && lag <= IDLE_LAG_LIMIT_MS, `lag ${lag}`);
    assert.ok(lag > IDLE_PROMPT_MS, `Dovecot 2.3's IDLE is slow (NOTIFY_DELAY_MSECS 500): measured ${lag} ms`);
    const own = { token, from: "someone@sender.lab.test", probeName: "idle-lag" };
    assert.equal((await session.delete(found, own, AbortSignal.timeout(10_000))).removed, true);
  } finally {
    await session.close();
  }
});

test("fast polls only where IDLE is slow or not known yet; a one-shot run (no memory) always polls fast", () => {
  const m = createIdleLagMemory();
  assert.equal(fastUntil(undefined, "p/a", 1000, 30_000), 31_000);
  assert.equal(fastUntil(m, "p/a", 1000, 30_000), 31_000, "not measured yet");
  assert.equal(m.due("p/a", 0), true);
  m.learn("p/a", 503, 0);
  m.learn("p/b", 12, 0);
  assert.equal(m.due("p/a", 1000), false);
  assert.equal(fastUntil(m, "p/a", 1000, 30_000), 31_000, "slow IDLE: poll fast");
  assert.equal(fastUntil(m, "p/b", 1000, 30_000), 1000, "prompt IDLE: no fast window");
});
