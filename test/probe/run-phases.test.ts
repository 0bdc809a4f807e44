// The run's phases and its judging through the RunDeps seams: fake sessions and a fake sender, so
// this is pure logic (the real IMAP and senders are the end-to-end tests' job).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ResolvedPath, ResolvedProbe } from "../../src/config/load.js";
import { ProbeError } from "../../src/core/errors.js";
import type { Sender } from "../../src/core/sender.js";
import { createLogger } from "../../src/log.js";
import { judge } from "../../src/probe/judge.js";
import { runProbe } from "../../src/probe/run.js";
import type { CleanupMode, FoundMessage, Session, SweepOptions, SweepResult } from "../../src/receivers/session.js";
import { createIdleLagMemory } from "../../src/probe/idle-memory.js";

const log = createLogger({ level: "silent", redact: (t) => t });
const received = (ip: string) =>
  Buffer.from(
    `Received: from mx.lab.test by mx.lab.test with LMTP; Wed, 25 Nov 2026 20:00:01 +0000\r\n` +
      `Received: from relay.brevo.lab (unknown [${ip}]) by mx.lab.test (Postfix) with ESMTP id ABC for <probe@lab.test>; Wed, 25 Nov 2026 20:00:00 +0000\r\n` +
      `Authentication-Results: mx.lab.test; spf=pass\r\n\r\n`,
  );

function path(name: string, over: Partial<ResolvedPath> = {}): ResolvedPath {
  return {
    name,
    host: "127.0.0.1",
    port: 993,
    security: "tls",
    user: "probe@lab.test",
    password: "pw-secret",
    mailbox: "INBOX",
    connectTimeoutMs: 1000,
    pollIntervalMs: 20,
    fastPollMs: 1000,
    ...over,
  };
}

function probe(paths: ResolvedPath[], over: Partial<ResolvedProbe> = {}): ResolvedProbe {
  return {
    name: "unit",
    to: "probe@lab.test",
    timeoutMs: 300,
    sender: { type: "fake", from: "probe@sender.lab.test" },
    paths,
    staleAfterMs: 3_600_000,
    sweepDays: 7,
    tokenKey: "unit-token-key-0123456789abcdef-0123",
    received: { mxHosts: ["mx.lab.test"], forbiddenCidrs: ["127.0.0.9/32"], expectedCidrs: ["127.0.0.42/32"], internalCidrs: [], requireTls: false },
    relayCheck: [],
    ...over,
  };
}

interface FakeOpts {
  /** What waitFor finds (after a tick); undefined: never (until the deadline). */
  headers?: Buffer;
  junk?: Buffer;
  /** The found message's From (default: the probe's sender) and token header (default: the run's token). */
  from?: string;
  tokenHeader?: (token: string) => string;
  /** What a sweep reports. */
  leftBehind?: number;
  /** The UIDs in the mailbox, shared by the paths to it (deletes remove from it). */
  mailbox?: Set<number>;
  /** The session's cleanup mode (default uid-expunge). */
  mode?: CleanupMode;
  /** What a sweep reports, in full (wins over leftBehind). */
  sweepResult?: SweepResult;
  /** The key each sweep was given (configured or not). */
  sweptWith?: (SweepOptions["key"] | undefined)[];
}

function fakeSession(p: ResolvedPath, o: FakeOpts, calls: string[]): Session {
  const found = (mailbox: string, headers: Buffer, token: string): FoundMessage => ({
    uid: 7,
    seenAtMs: Date.now(),
    headers,
    mailbox,
    tokenHeader: o.tokenHeader ? o.tokenHeader(token) : token,
    from: o.from ?? "probe@sender.lab.test",
  });
  return {
    path: p,
    mailbox: p.mailbox,
    junkMailbox: p.junkMailbox,
    openMs: 5,
    idleSupported: true,
    cleanupMode: o.mode ?? "uid-expunge",
    cleanupWhy: "fake: UIDPLUS",
    idleLagMs: async (f) => (calls.push(`idle lag ${p.name} ${f.uid}`), 500),
    waitFor: (t, signal) =>
      o.headers
        ? new Promise((r) => setTimeout(() => r(found(p.mailbox, o.headers!, t)), 5))
        : new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason), { once: true })),
    findNow: async () => undefined,
    findIn: async (mailbox, t) => (o.junk ? found(mailbox, o.junk, t) : undefined),
    delete: async (f) => {
      calls.push(`delete ${p.name} ${f.mailbox} ${f.uid}`);
      // With a shared mailbox (o.mailbox), like the real session: already gone, left by a `left` listener, or removed.
      if (o.mailbox && !o.mailbox.has(f.uid)) return { mode: o.mode ?? "uid-expunge", removed: true, count: 0, detail: "already removed (fake)" };
      if (o.mode === "left") return { mode: "left", removed: false, count: 0, detail: "left (fake)" };
      o.mailbox?.delete(f.uid);
      return { mode: o.mode ?? "uid-expunge", removed: true, count: 1, detail: "deleted (fake)" };
    },
    sweep: async (opts) => (calls.push(`sweep ${p.name}`), o.sweptWith?.push(opts.key), o.sweepResult ?? { removed: 0, leftBehind: o.leftBehind ?? 0 }),
    close: async () => void calls.push(`close ${p.name}`),
  };
}

function fakeSender(outcome: Awaited<ReturnType<Sender["send"]>>, calls: string[]): Sender {
  return {
    send: async () => (calls.push("send"), outcome),
    close: () => void calls.push("sender close"),
  };
}

const sentOk = { ok: true as const, messageId: "<m@x>", attempts: 1, notes: [] };

test("two paths on one mailbox both see the message: healthy, the IP evidence as data, deleted once, swept once", async () => {
  const calls: string[] = [];
  const pr = probe([path("external"), path("internal")]);
  const r = await runProbe(pr, {
    log,
    createSender: async () => fakeSender(sentOk, calls),
    openPath: async (p) => fakeSession(p, { headers: received("127.0.0.42") }, calls),
  });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.equal(r.realIpOk, true);
  for (const p of r.paths) {
    assert.deepEqual(p.ip?.match, { list: "expectedCidrs", cidr: "127.0.0.42/32" });
    assert.equal(p.ip?.rule, "expectedCidrs 127.0.0.42/32");
    assert.equal(p.authResults?.state, "found");
    assert.deepEqual(p.authResults?.spf, { result: "pass" });
    assert.deepEqual(p.entryTls, { tls: false, with: "ESMTP" });
    assert.equal(p.deleted, true);
  }
  assert.equal(r.cleanup.deleted, 1);
  assert.deepEqual(
    calls.filter((c) => c.startsWith("delete") || c.startsWith("sweep")),
    ["delete external INBOX 7", "sweep external"],
  );
  assert.ok(calls.includes("close internal") && calls.includes("sender close"));
});

test("a forbidden client IP: real_ip_forbidden naming the matched range", async () => {
  const r = await runProbe(probe([path("external")]), {
    log,
    createSender: async () => fakeSender(sentOk, []),
    openPath: async (p) => fakeSession(p, { headers: received("127.0.0.9") }, []),
  });
  const p = r.paths[0]!;
  assert.equal(p.reason, "real_ip_forbidden");
  assert.deepEqual(p.ip?.match, { list: "forbiddenCidrs", cidr: "127.0.0.9/32" });
  assert.equal(p.detail, "127.0.0.9: forbiddenCidrs 127.0.0.9/32");
  assert.equal(r.realIpOk, false);
});

test("one path cannot log in, the other sees the message: its own reason, and the paths-disagree diagnosis", async () => {
  const r = await runProbe(probe([path("external"), path("internal")]), {
    log,
    createSender: async () => fakeSender(sentOk, []),
    openPath: async (p) => {
      if (p.name === "external") throw new ProbeError("imap_auth", "login refused: AUTHENTICATIONFAILED", { stage: "connect", path: p.name });
      return fakeSession(p, { headers: received("127.0.0.42") }, []);
    },
  });
  assert.equal(r.ok, false);
  assert.equal(r.reason, "imap_auth");
  assert.equal(r.paths[1]!.ok, true);
  assert.match(r.pathSplit ?? "", /^seen on internal; not on external \(imap_auth\)/);
});

test("no path opens: the message is sent anyway and the sender's verdict from its log, read while waiting, is the diagnosis", async () => {
  const calls: string[] = [];
  const r = await runProbe(probe([path("external")], { timeoutMs: 5000 }), {
    log,
    createSender: async () => ({
      ...fakeSender(sentOk, calls),
      watchEvents: async () => (calls.push("watch"), { code: "upstream_bounced", detail: "hardBounces · 550 user unknown", final: true }),
    }),
    openPath: async () => {
      throw new Error("ECONNREFUSED");
    },
  });
  assert.ok(calls.includes("send") && calls.includes("watch"), calls.join());
  assert.equal(r.send.ok, true);
  assert.ok(
    r.send.notes.some((n) => /left to the stale sweep/.test(n)),
    r.send.notes.join(),
  );
  assert.equal(r.paths[0]!.reason, "imap_connect");
  assert.deepEqual(r.diagnosis, { code: "upstream_bounced", detail: "hardBounces · 550 user unknown", during: "wait" });
});

test("the sender's log reports a final failure while the paths wait: the wait ends, not_delivered with the upstream diagnosis", async () => {
  const calls: string[] = [];
  let waitEnded = false;
  const r = await runProbe(probe([path("external")], { timeoutMs: 60_000 }), {
    log,
    createSender: async () => ({
      ...fakeSender(sentOk, calls),
      diagnose: async () => (calls.push("diagnose"), { code: "upstream_unknown" as const }),
      watchEvents: async (_id, _to, signal) => {
        await new Promise((res) => setTimeout(res, 30));
        assert.equal(signal.aborted, false, "the wait is still on when the event arrives");
        return { code: "upstream_blocked" as const, detail: "blocked", final: true };
      },
    }),
    openPath: async (p) => ({
      ...fakeSession(p, {}, calls),
      waitFor: (_t, signal) => new Promise((_, reject) => signal.addEventListener("abort", () => ((waitEnded = true), reject(signal.reason)), { once: true })),
    }),
  });
  assert.ok(waitEnded, "the path's wait was ended");
  assert.equal(r.paths[0]!.reason, "not_delivered");
  assert.match(r.paths[0]!.detail ?? "", /the sender reports upstream_blocked \(blocked\): stopped waiting/);
  assert.deepEqual(r.diagnosis, { code: "upstream_blocked", detail: "blocked", during: "wait" });
  assert.ok(!calls.includes("diagnose"), "no second read of the log in cleanup");
});

test("the wait finds the message in Junk: landed_in_junk found during the wait", async () => {
  const r = await runProbe(probe([path("external", { junkMailbox: "Junk" })], { timeoutMs: 60_000 }), {
    log,
    createSender: async () => fakeSender(sentOk, []),
    openPath: async (p) => ({
      ...fakeSession(p, {}, []),
      waitFor: async () => ({ uid: 9, seenAtMs: Date.now(), headers: received("127.0.0.42"), mailbox: "Junk" }),
    }),
  });
  const p = r.paths[0]!;
  assert.equal(p.reason, "landed_in_junk");
  assert.equal(p.foundDuring, "wait");
});

test("the sender refuses: every path says not sent, with the sender's reason", async () => {
  const r = await runProbe(probe([path("external")]), {
    log,
    createSender: async () => fakeSender({ ok: false, reason: "send_rejected", detail: "bad key", attempts: 1, notes: [] }, []),
    openPath: async (p) => fakeSession(p, {}, []),
  });
  assert.equal(r.paths[0]!.reason, "send_rejected");
  assert.equal(r.paths[0]!.detail, "not sent: bad key");
});

test("not seen before the deadline but found in Junk by the last look: landed_in_junk, deleted there", async () => {
  const calls: string[] = [];
  const r = await runProbe(probe([path("external", { junkMailbox: "Junk" })], { timeoutMs: 100 }), {
    log,
    createSender: async () => fakeSender(sentOk, calls),
    openPath: async (p) => fakeSession(p, { junk: received("127.0.0.42") }, calls),
  });
  const p = r.paths[0]!;
  assert.equal(p.reason, "landed_in_junk");
  assert.equal(p.foundIn, "Junk");
  assert.ok(calls.includes("delete external Junk 7"));
});

test("judge alone: a message found only after the deadline is not_delivered, and says its fate", () => {
  const pr = probe([path("external")]);
  const session = fakeSession(pr.paths[0]!, {}, []);
  const r = judge({
    probe: pr,
    token: "t",
    startedMs: 0,
    endedMs: 1000,
    sendStartMs: 10,
    aborted: false,
    send: { type: "fake", ok: true, attempts: 1, notes: [] },
    states: [{ name: "external", session, found: { uid: 1, seenAtMs: 900, headers: received("127.0.0.42"), mailbox: "INBOX" }, late: true, deleted: true }],
    cleanup: { deleted: 1, stale: 0, errors: [] },
  });
  assert.equal(r.paths[0]!.reason, "not_delivered");
  assert.equal(r.paths[0]!.detail, "arrived after the deadline of 0.3 s; deleted");
  assert.equal(r.durationSeconds, 1);
  assert.ok(Object.isFrozen(r));
});

test("one user name on two servers (other host or port): both are asked to delete and both are swept", async () => {
  const calls: string[] = [];
  const pr = probe([path("a", { host: "127.0.0.1", port: 993 }), path("b", { host: "127.0.0.2", port: 993 }), path("c", { host: "127.0.0.1", port: 994 })]);
  const r = await runProbe(pr, {
    log,
    createSender: async () => fakeSender(sentOk, calls),
    openPath: async (p) => fakeSession(p, { headers: received("127.0.0.42") }, calls),
  });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.deepEqual(calls.filter((c) => c.startsWith("delete")).sort(), ["delete a INBOX 7", "delete b INBOX 7", "delete c INBOX 7"]);
  assert.deepEqual(
    calls.filter((c) => c.startsWith("sweep")),
    ["sweep a", "sweep b", "sweep c"],
  );
  assert.equal(r.cleanup.deleted, 3);
});

test("a found message without the proof (foreign sender, or a token header that is not exactly ours) is never deleted", async () => {
  for (const o of [{ from: "someone@example.org" }, { tokenHeader: (t: string) => `${t}x` }, { tokenHeader: (t: string) => `prefix ${t}` }]) {
    const calls: string[] = [];
    const r = await runProbe(probe([path("external", { junkMailbox: "Junk" })], { timeoutMs: 100 }), {
      log,
      createSender: async () => fakeSender(sentOk, calls),
      openPath: async (p) => fakeSession(p, { junk: received("127.0.0.42"), ...o }, calls),
    });
    assert.deepEqual(
      calls.filter((c) => c.startsWith("delete")),
      [],
      JSON.stringify(o),
    );
    assert.equal(r.paths[0]!.deleted, false);
    assert.match(r.paths[0]!.cleanup?.detail ?? "", /does not prove/);
    assert.equal(r.cleanup.deleted, 0);
  }
});

test("no tokenKey: the sweep gets no key (counts only), the result warns with how to add one, left-behind counts land on the sweeping path", async () => {
  const sweptWith: unknown[] = [];
  const pr = probe([path("external"), path("internal")], { tokenKey: undefined });
  const r = await runProbe(pr, {
    log,
    createSender: async () => fakeSender(sentOk, []),
    openPath: async (p) => fakeSession(p, { headers: received("127.0.0.42"), leftBehind: 4, sweptWith: sweptWith as never }, []),
  });
  assert.deepEqual(sweptWith, [undefined], "swept once (one mailbox), without a key");
  assert.equal(r.warnings?.[0]?.code, "no_token_key");
  assert.match(r.warnings![0]!.message, /stale sweep is off.*openssl rand -hex 32/);
  assert.deepEqual(
    r.paths.map((p) => p.leftBehind),
    [4, undefined],
  );
  assert.equal(r.cleanup.leftBehind, 4);
  const withKey = await runProbe(probe([path("external")]), {
    log,
    createSender: async () => fakeSender(sentOk, []),
    openPath: async (p) => fakeSession(p, { headers: received("127.0.0.42"), sweptWith: sweptWith as never }, []),
  });
  assert.equal(withKey.warnings, undefined);
  assert.equal((sweptWith[1] as unknown as { configured: boolean }).configured, true);
});

test("two listeners of one mailbox: a stale message both sweeps leave is counted once; one that a listener removed is not left", async () => {
  const pr = probe([path("external", { port: 993 }), path("internal", { port: 994 })]);
  const run = (sweeps: Record<string, SweepResult>) =>
    runProbe(pr, {
      log,
      createSender: async () => fakeSender(sentOk, []),
      openPath: async (p) => fakeSession(p, { headers: received("127.0.0.42"), sweepResult: sweeps[p.name] }, []),
    });
  // The same stale message (token mp1.a), left by both listeners (e.g. its MAC fails under today's key).
  const both = await run({
    external: { removed: 0, leftBehind: 1, leftIds: ["mp1.a"], removedIds: [], detail: "1 left" },
    internal: { removed: 0, leftBehind: 1, leftIds: ["mp1.a"], removedIds: [], detail: "1 left" },
  });
  assert.equal(both.cleanup.leftBehind, 1, JSON.stringify(both.cleanup));
  assert.deepEqual(
    both.paths.map((p) => p.leftBehind),
    [1, 0],
  );
  assert.equal(both.cleanup.errors.filter((e) => /stale sweep/.test(e)).length, 1, "one error line for one message");
  // Mixed modes: a listener without UIDPLUS/MOVE leaves mp1.b, the UIDPLUS one removes it.
  const mixed = await run({
    external: { removed: 0, leftBehind: 2, leftIds: ["mp1.b", "mp1.c"], removedIds: [], detail: "2 left" },
    internal: { removed: 1, leftBehind: 1, leftIds: ["mp1.c"], removedIds: ["mp1.b"], detail: "1 removed, 1 not provable" },
  });
  assert.equal(mixed.cleanup.stale, 1);
  assert.equal(mixed.cleanup.leftBehind, 1, "mp1.b was removed, mp1.c is left once");
  assert.deepEqual(
    mixed.paths.map((p) => p.leftBehind),
    [1, 0],
  );
});

test("the IDLE-lag measurement (it flags the message) runs only on a message proven ours, and only where it is then expunged", async () => {
  const cases: [FakeOpts, boolean][] = [
    [{ mode: "uid-expunge" }, true],
    [{ mode: "left" }, false],
    [{ mode: "moved-to-trash" }, false],
    [{ mode: "uid-expunge", tokenHeader: (t) => `${t}x` }, false],
    [{ mode: "uid-expunge", from: "someone@example.org" }, false],
  ];
  for (const [o, measured] of cases) {
    const calls: string[] = [];
    const r = await runProbe(probe([path("external")]), {
      log,
      idleLags: createIdleLagMemory(),
      createSender: async () => fakeSender(sentOk, calls),
      openPath: async (p) => fakeSession(p, { headers: received("127.0.0.42"), ...o }, calls),
    });
    assert.equal(
      calls.some((c) => c.startsWith("idle lag")),
      measured,
      `${JSON.stringify({ mode: o.mode, from: o.from, foreignToken: !!o.tokenHeader })}: ${calls.join(", ")}`,
    );
    assert.equal(r.paths.length, 1);
  }
});

test("mixed modes on one mailbox (a listener that leaves, one with UIDPLUS): the run's message is removed once and no path reports it left", async () => {
  for (const order of [["left", "uid-expunge"] as const, ["uid-expunge", "left"] as const]) {
    const calls: string[] = [];
    const mailbox = new Set([7]);
    const pr = probe([path("a", { port: 993 }), path("b", { port: 994 })]);
    const r = await runProbe(pr, {
      log,
      createSender: async () => fakeSender(sentOk, calls),
      openPath: async (p) => fakeSession(p, { headers: received("127.0.0.42"), mailbox, mode: p.name === "a" ? order[0] : order[1] }, calls),
    });
    assert.equal(mailbox.size, 0, order.join(","));
    assert.equal(r.cleanup.deleted, 1);
    assert.deepEqual(
      r.paths.map((p) => p.deleted),
      [true, true],
      `${order.join(",")}: ${JSON.stringify(r.paths.map((p) => p.cleanup))}`,
    );
  }
});

// run.ts owns opening and closing (issue 22): every session and the sender are closed once, whatever
// cleanup or another close does, and one that arrives after the run gave up on it is closed on arrival.
test("a session's close fails: the other sessions and the sender are still closed, and the run still has its result", async () => {
  const calls: string[] = [];
  const r = await runProbe(probe([path("a"), path("b")]), {
    log,
    createSender: async () => fakeSender(sentOk, calls),
    openPath: async (p) => ({
      ...fakeSession(p, { headers: received("127.0.0.42") }, calls),
      close: async () => {
        calls.push(`close ${p.name}`);
        if (p.name === "a") throw new Error("socket already gone");
      },
    }),
  });
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.deepEqual(calls.filter((c) => c.includes("close")).sort(), ["close a", "close b", "sender close"]);
});

test("cleanup throws (the sender's diagnosis fails): the sessions and the sender are closed all the same", async () => {
  const calls: string[] = [];
  await assert.rejects(
    runProbe(probe([path("a"), path("b")], { timeoutMs: 50 }), {
      log,
      createSender: async () => ({ ...fakeSender(sentOk, calls), diagnose: async () => Promise.reject(new Error("diagnosis bug")) }),
      openPath: async (p) => fakeSession(p, {}, calls),
    }),
    /diagnosis bug/,
  );
  assert.deepEqual(calls.filter((c) => c.includes("close")).sort(), ["close a", "close b", "sender close"]);
});

test("the wait fails (an outside abort) while a path still opens and the sender is still built: both are closed when they arrive", async () => {
  const calls: string[] = [];
  const outside = new AbortController();
  setTimeout(() => outside.abort(new Error("SIGTERM")), 20);
  const late = <T>(x: () => T) => new Promise<T>((res) => setTimeout(() => res(x()), 150));
  const r = await runProbe(probe([path("fast"), path("slow")], { timeoutMs: 60_000 }), {
    log,
    signal: outside.signal,
    createSender: () => late(() => fakeSender(sentOk, calls)),
    // The slow path's open ignores the signal (a connect that outlives the abort).
    openPath: (p) => (p.name === "slow" ? late(() => fakeSession(p, {}, calls)) : Promise.resolve(fakeSession(p, {}, calls))),
  });
  assert.equal(r.aborted, true);
  assert.ok(calls.includes("close fast"), calls.join());
  await new Promise((res) => setTimeout(res, 300));
  assert.deepEqual(calls.filter((c) => c.includes("close")).sort(), ["close fast", "close slow", "sender close"]);
  assert.ok(!calls.includes("send"), "nothing is sent after the run gave up");
});
