// Generated mailboxes of look-alikes of a probe message (issue 18, "one ownership proof"): replies,
// forwards, bounces quoting the probe, digests, messages from the sender with tokens of another key,
// other probes' in-flight tokens, our own token in another mailbox or from another sender. Shared by
// the short slice (test/receivers/ownership.test.ts) and the long run (test/long/ownership.test.ts).
import assert from "node:assert/strict";
import { newToken, probeSubject, tokenKey, type TokenKey } from "../../src/core/token.js";
import { isOurs, type Evidence } from "../../src/receivers/ownership.js";
import { rng } from "../helpers/prng.js";

export const SENDER = "probe@sender.lab.test";
export const PROBE = "inbound";
export const KEY = tokenKey("the-lab-token-key-0123456789abcdef-01");
export const OTHER_KEY = tokenKey("someone-elses-key-0123456789abcdef-02");
export const STALE_AFTER_MS = 120_000;

export interface Generated {
  kind: string;
  e: Evidence;
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

/** One look-alike: never provably a stale probe message of ours in the selected mailbox INBOX. */
function lookalike(r: () => number, nowMs: number): Generated {
  const old = nowMs - Math.floor(r() * 30 + 1) * 86_400_000;
  const own = newToken(KEY, old, STALE_AFTER_MS);
  const ownV1 = newToken(KEY, old);
  const t = pick(r, [own, ownV1]);
  const base = { from: SENDER, storedMs: old, mailbox: "INBOX" };
  const kinds: (() => Generated)[] = [
    () => ({ kind: "reply", e: { ...base, subject: `${pick(r, ["Re: ", "RE: ", "AW: ", "Re:"])}${probeSubject(PROBE, t)}` } }),
    () => ({ kind: "forward", e: { ...base, subject: `${pick(r, ["Fwd: ", "FW: ", "Fw: "])}${probeSubject(PROBE, t)}` } }),
    () => ({
      kind: "bounce",
      e: { ...base, from: pick(r, ["mailer-daemon@mx.lab.test", "postmaster@lab.test"]), tokenHeader: t, subject: `Undelivered Mail Returned to Sender` },
    }),
    () => ({ kind: "bounce-subject", e: { ...base, subject: `Delivery Status Notification (Failure): ${probeSubject(PROBE, t)}` } }),
    () => ({ kind: "digest", e: { ...base, subject: `Digest of 3 messages: ${probeSubject(PROBE, t)} ${probeSubject(PROBE, own)}` } }),
    () => ({ kind: "quoted", e: { ...base, subject: `${probeSubject(PROBE, t)} (was: lunch)` } }),
    () => ({
      kind: "other key",
      e: { ...base, tokenHeader: newToken(OTHER_KEY, old, STALE_AFTER_MS), subject: probeSubject(PROBE, newToken(OTHER_KEY, old)) },
    }),
    () => {
      const inFlight = newToken(KEY, old, nowMs - old + Math.floor(r() * 86_400_000) + 1000);
      return { kind: "other probe in flight", e: { ...base, tokenHeader: inFlight, subject: probeSubject("other", inFlight) } };
    },
    () => ({ kind: "other sender", e: { ...base, from: `user${Math.floor(r() * 1000)}@example.org`, tokenHeader: own, subject: probeSubject(PROBE, own) } }),
    () => ({ kind: "other mailbox", e: { ...base, mailbox: pick(r, ["Junk", "INBOX.Junk", "inbox", "Archive"]), tokenHeader: own } }),
    () => ({ kind: "header not the token alone", e: { ...base, tokenHeader: pick(r, [`${own} x`, `<${own}>`, `Re: ${own}`, ""]), subject: "hello" } }),
    () => ({ kind: "tampered", e: { ...base, tokenHeader: own.replace(/.$/, (c) => (c === "A" ? "B" : "A")) } }),
    () => ({ kind: "copied into a new message", e: { ...base, storedMs: nowMs - 1000, tokenHeader: own } }),
    () => ({ kind: "no header, subject of another probe name", e: { ...base, subject: probeSubject(pick(r, ["Inbound", "inbound2", "in bound"]), t) } }),
  ];
  return pick(r, kinds)();
}

/** `n` look-alikes (seeded) and, mixed in, genuine stale own messages (the control: the proof must accept those). */
export function mailbox(seed: number, n: number, nowMs: number): { lookalikes: Generated[]; genuine: Generated[] } {
  const r = rng(seed);
  const lookalikes = Array.from({ length: n }, () => lookalike(r, nowMs));
  const genuine = Array.from({ length: Math.max(1, Math.floor(n / 20)) }, (_, i) => {
    const old = nowMs - (i + 1) * 86_400_000;
    const t = newToken(KEY, old, STALE_AFTER_MS);
    const e: Evidence =
      i % 2
        ? { from: SENDER, storedMs: old, mailbox: "INBOX", subject: probeSubject(PROBE, t) }
        : { from: SENDER, storedMs: old, mailbox: "INBOX", tokenHeader: t };
    return { kind: "genuine", e };
  });
  return { lookalikes, genuine };
}

export const sweepClaim = (nowMs: number, key: TokenKey = KEY) =>
  ({ kind: "sweep", key, from: SENDER, probeName: PROBE, staleAfterMs: STALE_AFTER_MS, nowMs, selected: "INBOX" }) as const;

/** Asserts the property on one generated mailbox; returns how many of each kind it held. */
export function checkSeed(seed: number, n: number): Record<string, number> {
  const now = Date.now();
  const { lookalikes, genuine } = mailbox(seed, n, now);
  const kinds: Record<string, number> = {};
  for (const { kind, e } of lookalikes) {
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    assert.equal(isOurs(e, sweepClaim(now)).ours, false, `seed ${seed}: the sweep would remove a ${kind}: ${JSON.stringify(e)}`);
    // And never the run's own message unless it carries exactly this run's token: a look-alike of another token.
    const runToken = newToken(KEY, now, STALE_AFTER_MS);
    assert.equal(isOurs(e, { kind: "run", token: runToken, from: SENDER, probeName: PROBE, selected: "INBOX" }).ours, false, kind);
  }
  for (const { e } of genuine)
    assert.equal(isOurs(e, sweepClaim(now)).ours, true, `seed ${seed}: a genuine stale message is not accepted: ${JSON.stringify(e)}`);
  return kinds;
}
