// One ownership proof (issue 18): generated mailboxes of look-alikes — none is ever accepted, by the
// sweep or as a run's own message — while genuine stale probe messages are (the control). A slice
// here; many seeds in test/long/ownership.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { newToken, probeSubject } from "../../src/core/token.js";
import { isOurs } from "../../src/receivers/ownership.js";
import { checkSeed, KEY, PROBE, SENDER, STALE_AFTER_MS, sweepClaim } from "./lookalikes.js";

test("generated look-alikes are never ours; genuine stale probe messages are (a slice of seeds)", () => {
  const kinds: Record<string, number> = {};
  for (let seed = 1; seed <= 20; seed++) for (const [k, v] of Object.entries(checkSeed(seed, 200))) kinds[k] = (kinds[k] ?? 0) + v;
  assert.ok(Object.keys(kinds).length >= 14, `every kind of look-alike was generated: ${JSON.stringify(kinds)}`);
});

test("the run's own message: the exact token, the sender, and the mailbox selected now", () => {
  const token = newToken(KEY, Date.now(), STALE_AFTER_MS);
  const claim = { kind: "run", token, from: SENDER, probeName: PROBE, selected: "INBOX" } as const;
  assert.equal(isOurs({ tokenHeader: token, from: SENDER, mailbox: "INBOX" }, claim).ours, true);
  assert.equal(isOurs({ subject: probeSubject(PROBE, token), from: SENDER, mailbox: "INBOX" }, claim).ours, true);
  // Found in Junk while INBOX is selected (a UID means nothing in another mailbox).
  assert.deepEqual(isOurs({ tokenHeader: token, from: SENDER, mailbox: "Junk" }, claim), { ours: false, why: "other_mailbox", token });
  assert.equal(isOurs({ tokenHeader: token, from: SENDER, mailbox: "INBOX" }, { ...claim, selected: undefined }).ours, false);
  assert.equal(isOurs({ subject: `Re: ${probeSubject(PROBE, token)}`, from: SENDER, mailbox: "INBOX" }, claim).ours, false);
});

test("a token says when it goes stale: another probe's sweep with a shorter setting leaves it (issue 18, item 3); version 1 is still read", () => {
  const now = Date.now();
  const created = now - 2 * 3600_000;
  const ownDay = newToken(KEY, created, 86_400_000);
  const e = { tokenHeader: ownDay, from: SENDER, storedMs: created, mailbox: "INBOX" };
  assert.deepEqual(isOurs(e, sweepClaim(now)), { ours: false, why: "not_stale", token: ownDay });
  assert.equal(isOurs(e, sweepClaim(now + 86_400_000)).ours, true);
  const v1 = newToken(KEY, created);
  assert.equal(isOurs({ ...e, tokenHeader: v1 }, sweepClaim(now)).ours, true, "a version-1 token goes stale by the sweeping probe's setting");
  // No key configured: counted as a look-alike, never removed.
  assert.deepEqual(isOurs(e, { ...sweepClaim(now + 86_400_000), key: undefined }).ours, false);
});
