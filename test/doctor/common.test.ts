// Doctor's shared steps (src/doctor/common.ts) on real loopback sockets: every connect, lookup,
// greeting and handshake ends at its own timeout — a StepTimeoutError naming the protocol — or at
// once when the doctor's signal aborts (issue 18 left: the IMAP TCP connect was bound by its own
// timeout only; issue 22: not every TCP timeout is `imap_connect`).
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { test } from "node:test";
import type { ResolvedPath } from "../../src/config/load.js";
import { AbortedError, CONNECT_TIMEOUT, StepTimeoutError } from "../../src/core/deadline.js";
import { errnoOf } from "../../src/core/errors.js";
import { connectTcp, tcpHint, tlsFacts, withTimeout } from "../../src/doctor/common.js";
import { synDrop } from "../helpers/syn-drop.js";

const path = (port: number, over: Partial<ResolvedPath> = {}) =>
  ({ name: "p", host: "127.0.0.1", port, security: "tls", connectTimeoutMs: 60_000, ...over }) as ResolvedPath;

/** How long `p` takes to settle, and how: the value or the error. */
async function settle<T>(p: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const t0 = performance.now();
  return p.then(
    (value) => ({ ms: performance.now() - t0, value }),
    (error: unknown) => ({ ms: performance.now() - t0, error }),
  );
}

/** Aborts after `ms` with an AbortedError, as SIGTERM does. */
function abortAfter(ms: number): AbortSignal {
  const ctl = new AbortController();
  setTimeout(() => ctl.abort(new AbortedError("SIGTERM")), ms);
  return ctl.signal;
}

test("an abort ends a pending IMAP connect at once (a SYN never answered, its own timeout 60 s)", async (t) => {
  const drop = await synDrop();
  t.after(() => drop.close());
  const r = await settle(connectTcp(path(drop.port), abortAfter(100)));
  assert.ok(r.error instanceof AbortedError, `rejects with the signal's reason, not ${String(r.error)}`);
  // Its own timeout is 60 s: anything near that is the old behaviour, however loaded the machine.
  assert.ok(r.ms < 20_000, `ended ${Math.round(r.ms)} ms after the start`);
});

test("a connect that times out says which protocol it was for: StepTimeoutError, CONNECT_TIMEOUT, the drop hint", async (t) => {
  const drop = await synDrop();
  t.after(() => drop.close());
  const r = await settle(connectTcp(path(drop.port, { connectTimeoutMs: 200 }), new AbortController().signal));
  assert.ok(r.error instanceof StepTimeoutError, String(r.error));
  assert.equal(r.error.protocol, "IMAP");
  assert.equal(errnoOf(r.error), CONNECT_TIMEOUT);
  assert.equal(r.error.message, `IMAP connect to 127.0.0.1:${drop.port} timed out after 200 ms`);
  assert.match(tcpHint(r.error, "x:1"), /^no answer from x:1: packets are dropped/);
});

test("a step's own timeout names its protocol and step; an abort ends it with the signal's reason", async () => {
  const never = new Promise<never>(() => undefined);
  const timedOut = await settle(withTimeout(never, 50, "DNS", "lookup of mx.example", new AbortController().signal));
  assert.ok(timedOut.error instanceof StepTimeoutError);
  assert.equal(timedOut.error.message, "DNS lookup of mx.example timed out after 50 ms");
  assert.equal(errnoOf(timedOut.error), "ETIMEDOUT");
  const aborted = await settle(withTimeout(never, 60_000, "DNS", "lookup of mx.example", abortAfter(50)));
  assert.ok(aborted.error instanceof AbortedError, String(aborted.error));
  assert.ok(aborted.ms < 20_000);
});

test("an abort ends the wait for a STARTTLS greeting that never comes, at once", async (t) => {
  const conns: Socket[] = [];
  const silent = createServer((s) => void conns.push(s)).listen(0, "127.0.0.1");
  await once(silent, "listening");
  t.after(() => (conns.forEach((s) => s.destroy()), silent.close()));
  const p = path((silent.address() as { port: number }).port, { security: "starttls" });
  const sock = await connectTcp(p, new AbortController().signal);
  t.after(() => sock.destroy());
  const r = await settle(tlsFacts(p, sock, abortAfter(100)));
  assert.ok(r.error instanceof AbortedError, String(r.error));
  assert.ok(r.ms < 20_000, `ended ${Math.round(r.ms)} ms after the start`);
  const own = await settle(tlsFacts({ ...p, connectTimeoutMs: 100 }, await connectTcp(p, new AbortController().signal), new AbortController().signal));
  assert.equal((own.error as Error).message, "IMAP greeting timed out after 100 ms");
});
