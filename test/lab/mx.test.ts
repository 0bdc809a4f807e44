// The MX's real filter pipeline (Postfix → Rspamd milter → Dovecot LMTP + Sieve) in each state of the
// lab: what it writes into Authentication-Results and the score headers, and where the mail lands.
// Real Rspamd, real unbound, the fake Brevo's real DKIM signature; nothing mocked.
import assert from "node:assert/strict";
import { test } from "node:test";
import { uniqueToken } from "../helpers/lab.js";
import { DEFAULT_STATE, set, type LabState } from "./lab.js";
import { headerFields, mxAuthResults, relayAttempt, sendSpam, sendViaBrevo, waitForStored } from "./mx.js";

async function inState<T>(change: Partial<LabState>, fn: () => Promise<T>): Promise<T> {
  await set({ ...DEFAULT_STATE, ...change });
  try {
    return await fn();
  } finally {
    await set({ ...DEFAULT_STATE });
  }
}

async function brevoDelivery(change: Partial<LabState> = {}, headers: Record<string, string> = {}) {
  return inState(change, async () => {
    const subject = uniqueToken();
    await sendViaBrevo(subject, headers);
    return waitForStored(subject);
  });
}

const score = (block: string) => Number(/score=(-?[\d.]+)/.exec(headerFields(block).find(([n]) => n === "x-spam-status")?.[1] ?? "")?.[1]);

test("healthy Brevo route through HAProxy: spf, dkim and dmarc pass, a score, INBOX", async () => {
  const { mailbox, headers } = await brevoDelivery();
  assert.equal(mailbox, "INBOX");
  const ar = mxAuthResults(headers);
  assert.ok(ar, `no Authentication-Results by mx.lab.test in:\n${headers}`);
  assert.match(ar, /\bspf=pass\b.*smtp\.mailfrom=bounces@relay\.brevo\.lab/);
  assert.match(ar, /\bdkim=pass header\.d=sender\.lab\.test header\.s=brevo2026\b/);
  assert.match(ar, /\bdmarc=pass \(policy=reject\) header\.from=sender\.lab\.test/);
  assert.ok(score(headers) < 6, `score ${score(headers)} should be under the add-header threshold`);
});

test("the milter's Authentication-Results sits right below Postfix's own Received (entry hop)", async () => {
  const { headers } = await brevoDelivery();
  const names = headerFields(headers).map(([n, v]) => (n === "received" && / by mx\.lab\.test \(Postfix\)/.test(v) ? "received(postfix)" : n));
  const i = names.indexOf("received(postfix)");
  assert.ok(i >= 0, "no Postfix Received");
  assert.equal(names[i + 1], "authentication-results", `order: ${names.join(", ")}`);
  // The score headers are appended at the end of the header block, below the sender's own.
  assert.deepEqual(names.slice(-2).sort(), ["x-spam-status", "x-spamd-result"]);
});

test("proxy=broken: SPF fails for the node address; DMARC still passes on DKIM alignment", async () => {
  const { headers } = await brevoDelivery({ proxy: "broken" });
  const ar = mxAuthResults(headers);
  assert.ok(ar);
  assert.match(ar, /\bspf=fail \(mx\.lab\.test: domain of bounces@relay\.brevo\.lab does not designate 127\.0\.0\.9 as permitted sender\)/);
  assert.match(ar, /\bdkim=pass\b/);
  assert.match(ar, /\bdmarc=pass\b/);
});

test("trust=node-range with proxy=broken: Rspamd skips every check (A-R says only `none`), and HAProxy's path is an open relay", async () => {
  await inState({ proxy: "broken", trust: "node-range" }, async () => {
    const subject = uniqueToken();
    await sendViaBrevo(subject);
    const { headers } = await waitForStored(subject);
    assert.equal(mxAuthResults(headers), "mx.lab.test; none");
    assert.match(await relayAttempt(), /^250 /, "Postfix must relay for the SNAT address in mynetworks");
  });
  // The same attempt on the default lab is refused: the test above is not an artefact of the lab.
  assert.match(await relayAttempt(), /^554 .*Relay access denied/);
  await inState({ proxy: "broken" }, async () => assert.match(await relayAttempt(), /^554 .*Relay access denied/));
});

for (const dkim of ["broken-body", "wrong-key"] as const) {
  test(`dkim=${dkim}: dkim=fail, and DMARC fails too (SPF is not aligned)`, async () => {
    const { headers } = await brevoDelivery({ dkim });
    const ar = mxAuthResults(headers);
    assert.ok(ar);
    assert.match(ar, dkim === "broken-body" ? /\bdkim=fail \("body hash did not verify"\)/ : /\bdkim=fail\b/);
    assert.match(ar, /\bdmarc=fail\b/);
  });
}

test("a message Rspamd's stock rules score over the add-header threshold lands in Junk through Sieve", async () => {
  const subject = uniqueToken();
  await sendSpam(subject);
  const { mailbox, headers } = await waitForStored(subject);
  assert.equal(mailbox, "Junk");
  assert.match(headerFields(headers).find(([n]) => n === "x-spam-status")?.[1] ?? "", /^Yes, score=/);
  assert.ok(score(headers) >= 6, `score ${score(headers)}`);
});

test("rspamd=down: milter_default_action=accept delivers unfiltered, with no Authentication-Results and no score", async () => {
  const { mailbox, headers } = await brevoDelivery({ rspamd: "down" });
  assert.equal(mailbox, "INBOX");
  assert.equal(mxAuthResults(headers), undefined);
  assert.ok(!headerFields(headers).some(([n]) => n === "x-spam-status" || n === "x-spamd-result"));
});

test("a sender-written Authentication-Results claiming our MX: Rspamd removes it; with Rspamd down it survives", async () => {
  const forged = { "Authentication-Results": "mx.lab.test; spf=pass; dkim=pass; dmarc=pass" };
  const up = await brevoDelivery({ proxy: "broken" }, forged);
  const ars = headerFields(up.headers).filter(([n]) => n === "authentication-results");
  assert.equal(ars.length, 1, up.headers);
  assert.match(ars[0]![1], /spf=fail/);
  const down = await brevoDelivery({ rspamd: "down" }, forged);
  assert.equal(mxAuthResults(down.headers), forged["Authentication-Results"]);
});
