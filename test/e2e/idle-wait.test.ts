// The IDLE branch of the wait, in serve, proven on the server: Dovecot writes the raw IMAP stream of
// the probe account while its home holds a `rawlog` directory (test/lab/conf/dovecot.conf). The
// probe is named hold-*, so the lab's Postfix holds its message until this test releases it: after
// the wait's fast-poll window, once the server has seen the wait's session enter IDLE. Cycle 1 (run
// on start) measures the path's IDLE lag (Dovecot 2.3: its fixed 500 ms, so "slow"); cycle 2 (the
// trigger) uses what was learned — fast polls first, then IDLE — and the message is found through
// the EXISTS that Dovecot sent to the IDLE-ing session.
import assert from "node:assert/strict";
import { chownSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { accounts, addr, paths, port } from "../lab/topology.js";
import { labConfig, startCli, waitUntil } from "../helpers/cli.js";
import { heldMessages, releaseHeld } from "../helpers/lab.js";

const base = `http://${addr.listen}:${port.serveMetrics}`;
const TRIGGER = "idle-wait-trigger-7731";
const NOBODY = 65534; // the lab's mail uid and gid (test/lab/lab.ts)
const [user, domain] = accounts.probe.user.split("@") as [string, string];
const rawlogDir = join(paths.mail, domain, user, "rawlog");

/** Makes the probe account's rawlog directory (and its home on a fresh lab), owned by the mail user. */
function enableRawlog(): void {
  let dir = paths.mail;
  for (const part of [domain, user, "rawlog"]) {
    dir = join(dir, part);
    if (existsSync(dir)) continue;
    mkdirSync(dir, { mode: 0o700 });
    chownSync(dir, NOBODY, NOBODY);
  }
}

/** One IMAP session as Dovecot logged it: what the client sent, what the server answered (timestamps dropped). */
interface Session {
  name: string;
  sent: string[];
  got: string[];
}
const lines = (file: string) =>
  existsSync(file)
    ? readFileSync(file, "latin1")
        .split(/\r?\n/)
        .map((l) => l.replace(/^\d+\.\d+ /, ""))
    : [];
function sessions(): Session[] {
  return readdirSync(rawlogDir)
    .filter((f) => f.endsWith(".in"))
    .sort()
    .map((f) => ({ name: f, sent: lines(join(rawlogDir, f)), got: lines(join(rawlogDir, f.replace(/\.in$/, ".out"))) }));
}
/** The wait's session (it SELECTs; the IDLE-lag watcher EXAMINEs) among those not seen before. */
const waitSession = (before: Set<string>) => sessions().find((s) => !before.has(s.name) && s.sent.some((l) => /^\S+ SELECT /i.test(l)));
const idleSent = (s: Session) => s.sent.findIndex((l) => /^\S+ IDLE$/i.test(l));

/** Holds until the wait's session of this cycle is in IDLE, releases the message, and returns that session once the cycle is over. */
async function heldCycle(before: Set<string>, done: Promise<unknown>): Promise<Session> {
  await waitUntil("the probe message held in Postfix's queue", async () => ((await heldMessages()).length ? true : undefined), 30_000);
  await waitUntil("the wait's session in IDLE (server side)", async () => {
    const s = waitSession(before);
    return s && idleSent(s) >= 0 ? true : undefined;
  });
  await releaseHeld();
  await done;
  return waitSession(before)!;
}

/**
 * The server's proof: the wait's session sent IDLE, and in one of its IDLE periods ("+ idling" up to
 * the tagged answer) Dovecot sent the EXISTS. (Whether fast NOOP polls came first depends on how long
 * the open took under load against the one-second window: not asserted.)
 */
function assertFoundThroughIdle(s: Session, cycle: string): void {
  assert.ok(idleSent(s) >= 0, `${cycle}: the wait's session sent IDLE: ${s.sent.join(" | ")}`);
  const periods: string[][] = [];
  for (const l of s.got) {
    if (/^\+ idling/i.test(l)) periods.push([]);
    else if (/^\S+ OK Idle completed/i.test(l)) periods.push(["end"]);
    else periods.at(-1)?.push(l);
  }
  assert.ok(
    periods.some((p) => p[0] !== "end" && p.some((l) => /^\* \d+ EXISTS$/.test(l))),
    `${cycle}: Dovecot announced the message while the session idled: ${s.got.join(" | ")}`,
  );
}

test(
  "serve: the wait IDLEs after its fast-poll window, learns the path's IDLE lag, and finds the message through IDLE's EXISTS (Dovecot's rawlog)",
  { timeout: 180_000 },
  async () => {
    if ((await heldMessages()).length) await releaseHeld();
    rmSync(rawlogDir, { recursive: true, force: true });
    enableRawlog();
    const cfg = labConfig((c) => {
      delete c.pushgateway;
      c.serve = {
        listen: addr.listen,
        port: port.serveMetrics,
        schedule: "0 0 1 1 *",
        runOnStart: true,
        trigger: { enabled: true, bearerToken: TRIGGER, minIntervalSeconds: 0 },
      };
      const p = c.probes[0];
      p.name = "hold-idle";
      p.timeoutSeconds = 40;
      delete p.kuma;
      delete p.relayCheck;
      // One path, a one-second fast window: the held message can only be seen after it, in IDLE.
      p.paths = [{ name: "internal", host: addr.listen, port: port.imapsStock, fastPollSeconds: 1 }];
      // No Junk STATUS between IDLEs: one IDLE lasts its full re-check time (5 s), so the EXISTS lands in one.
      p.imap.junkMailbox = "none";
    });
    const proc = startCli(["serve", "--config", cfg]);
    try {
      const runs = () =>
        proc
          .err()
          .split("\n")
          .filter((l) => l.includes('"run finished"'));
      const first = await heldCycle(
        new Set(),
        waitUntil("cycle 1 finished", async () => (runs().length >= 1 ? true : undefined), 60_000),
      );
      assert.match(runs()[0]!, /"ok":true/, proc.err());
      assertFoundThroughIdle(first, "cycle 1");
      const learned = proc
        .err()
        .split("\n")
        .filter((l) => l.includes("IDLE lag measured"));
      assert.equal(learned.length, 1, proc.err());
      const lagMs = Number(/"lagMs":(\d+)/.exec(learned[0]!)?.[1]);
      assert.ok(lagMs > 100, `Dovecot 2.3 announces late (fixed 500 ms): learned ${lagMs} ms, so later cycles poll fast first`);

      const before = new Set(sessions().map((s) => s.name));
      const triggered = fetch(`${base}/probe/hold-idle`, { method: "POST", headers: { authorization: `Bearer ${TRIGGER}` } });
      const second = await heldCycle(before, triggered);
      const body = (await (await triggered).json()) as { ok: boolean; paths: { stages?: { seen?: number } }[] };
      assert.equal(body.ok, true, JSON.stringify(body));
      assertFoundThroughIdle(second, "cycle 2");
      assert.equal(
        proc
          .err()
          .split("\n")
          .filter((l) => l.includes("IDLE lag measured")).length,
        1,
        "learned once, used after: not measured again",
      );
    } finally {
      proc.child.kill("SIGTERM");
      await proc.exited;
      rmSync(rawlogDir, { recursive: true, force: true });
    }
  },
);
