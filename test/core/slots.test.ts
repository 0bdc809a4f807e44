// The IMAP session cap (core/slots.ts) and a path's open behind it (probe/slot-open.ts), without a
// network: a fake opener stands in for the IMAP receiver.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ResolvedPath } from "../../src/config/load.js";
import { AbortedError, childSignal } from "../../src/core/deadline.js";
import { ProbeError } from "../../src/core/errors.js";
import { createSessionSlots, slotKey } from "../../src/core/slots.js";
import { withSessionSlot } from "../../src/probe/slot-open.js";
import type { Session } from "../../src/receivers/session.js";

const tick = () => new Promise((r) => setImmediate(r));

test("at most perKey slots of one key at once; the rest are granted first come first served as slots come back", async () => {
  const slots = createSessionSlots(2);
  const granted: number[] = [];
  const releases: (() => void)[] = [];
  for (let i = 0; i < 5; i++)
    void slots.acquire("k").then((r) => {
      granted.push(i);
      releases[i] = r;
    });
  await tick();
  assert.deepEqual(granted, [0, 1]);
  assert.equal(slots.inUse("k"), 2);
  releases[1]!();
  releases[1]!(); // idempotent: a second call gives nothing back
  await tick();
  assert.deepEqual(granted, [0, 1, 2]);
  assert.equal(slots.inUse("k"), 2);
  releases[0]!();
  releases[2]!();
  await tick();
  assert.deepEqual(granted, [0, 1, 2, 3, 4]);
  releases[3]!();
  releases[4]!();
  assert.equal(slots.inUse("k"), 0);
  assert.equal(slots.peak(), 2);
});

test("keys are independent: another login or another host has its own slots", async () => {
  const slots = createSessionSlots(1);
  const a = slotKey({ user: "a@x", host: "h1" });
  await slots.acquire(a);
  await slots.acquire(slotKey({ user: "b@x", host: "h1" }));
  await slots.acquire(slotKey({ user: "a@x", host: "h2" }));
  assert.equal(slots.inUse(a), 1);
  assert.equal(slots.peak(), 1);
});

test("a waiter whose signal aborts leaves the queue with the signal's reason; the next one gets the slot", async () => {
  const slots = createSessionSlots(1);
  const first = await slots.acquire("k");
  const ctl = new AbortController();
  const gone = slots.acquire("k", ctl.signal);
  const next = slots.acquire("k");
  ctl.abort(new Error("gave up"));
  await assert.rejects(gone, /gave up/);
  first();
  const r = await next;
  assert.equal(slots.inUse("k"), 1);
  r();
  await assert.rejects(slots.acquire("k", AbortSignal.abort(new Error("already"))), /already/);
  assert.equal(slots.inUse("k"), 0);
});

test("no deadlock: runs that each take their paths' slots in one stretch all finish with a cap below their sum", async () => {
  const slots = createSessionSlots(3);
  let open = 0;
  let most = 0;
  // 6 runs of 2 paths on one key, each holding both sessions until all its paths are open (as a run
  // holds its sessions until cleanup).
  const run = async () => {
    const rs = await Promise.all([0, 1].map(() => slots.acquire("k").then((r) => (open++, (most = Math.max(most, open)), r))));
    await tick();
    for (const r of rs) (open--, r());
  };
  await Promise.all(Array.from({ length: 6 }, run));
  assert.equal(most, 3);
  assert.equal(slots.inUse("k"), 0);
});

const path = (name: string): ResolvedPath =>
  ({ name, host: "127.0.0.1", port: 993, security: "tls", user: "probe@lab.test", password: "x", mailbox: "INBOX" }) as ResolvedPath;

function fakeOpener(log: string[], openMs = 5) {
  return async (p: ResolvedPath): Promise<Session> => {
    log.push(`open ${p.name}`);
    if (p.name === "refused") throw new ProbeError("imap_auth", "login refused", { stage: "connect", path: p.name });
    const s = {
      path: p,
      openMs,
      mailbox: "INBOX",
      close: async () => void log.push(`close ${p.name}`),
      commands() {
        return { NOOP: this === s ? 1 : 0 };
      },
    };
    return s as unknown as Session;
  };
}

test("a path waiting for a slot: its wait counts in its open time, its close gives the slot back, its methods still work", async () => {
  const slots = createSessionSlots(1);
  const log: string[] = [];
  const open = withSessionSlot(slots, fakeOpener(log));
  const a = await open(path("a"), new AbortController().signal);
  assert.ok(a.openMs < 200, "the first takes no wait beyond its own open");
  const pending = open(path("b"), new AbortController().signal);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(log, ["open a"]);
  await a.close();
  const b = await pending;
  assert.ok(b.openMs >= 295, `open time ${b.openMs} ms includes the ~300 ms slot wait`);
  assert.deepEqual(b.commands?.(), { NOOP: 1 }, "methods run on the session itself");
  assert.equal(b.mailbox, "INBOX");
  await b.close();
  assert.deepEqual(log, ["open a", "close a", "open b", "close b"]);
  assert.equal(slots.inUse(slotKey(path("b"))), 0);
});

test("a failed open gives its slot back", async () => {
  const slots = createSessionSlots(1);
  const open = withSessionSlot(slots, fakeOpener([]));
  await assert.rejects(open(path("refused"), new AbortController().signal), /login refused/);
  assert.equal(slots.inUse(slotKey(path("x"))), 0);
});

test("the run's deadline while waiting for a slot fails the path as imap_connect and says why; an outside abort stays an abort", async () => {
  const slots = createSessionSlots(1);
  const open = withSessionSlot(slots, fakeOpener([]));
  const held = await open(path("a"), new AbortController().signal);
  const { signal, dispose } = childSignal(undefined, 50, "deadline of 0.05 s");
  await assert.rejects(open(path("b"), signal), (err: unknown) => {
    assert.ok(err instanceof ProbeError);
    assert.equal(err.code, "imap_connect");
    assert.match(err.message, /no IMAP session free for probe@lab\.test at 127\.0\.0\.1 within the deadline.*imapSessionsPerUser: 1/);
    return true;
  });
  dispose();
  const outside = new AbortController();
  const waiting = open(path("c"), outside.signal);
  outside.abort(new AbortedError("SIGTERM"));
  await assert.rejects(waiting, (err: unknown) => err instanceof AbortedError);
  await held.close();
  assert.equal(slots.inUse(slotKey(path("a"))), 0);
});

test("without slots the opener is unchanged", () => {
  const o = fakeOpener([]);
  assert.equal(withSessionSlot(undefined, o), o);
});

test("opens in progress are capped per process whatever the key (50 probes of 2 paths would start 100 handshakes in one tick)", async () => {
  const slots = createSessionSlots(4, 3);
  let opening = 0;
  let most = 0;
  let started = 0;
  const gates: (() => void)[] = [];
  const open = withSessionSlot(slots, async () => {
    opening++;
    started++;
    most = Math.max(most, opening);
    await new Promise<void>((r) => gates.push(r));
    opening--;
    return { openMs: 1, close: async () => undefined } as unknown as Session;
  });
  const signal = new AbortController().signal;
  const all = Array.from({ length: 10 }, (_, i) => open({ name: `p${i}`, user: `u${i}`, host: "h" } as ResolvedPath, signal));
  while (started < 10) {
    await tick();
    assert.ok(opening <= 3, `${opening} opens at once`);
    gates.splice(0).forEach((g) => g());
    await tick();
  }
  gates.splice(0).forEach((g) => g());
  const sessions = await Promise.all(all);
  assert.equal(most, 3);
  assert.equal(slots.peakOpens(), 3);
  assert.ok(sessions.every((s) => s.openMs >= 1));
});
