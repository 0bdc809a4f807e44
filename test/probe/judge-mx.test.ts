// The judge over what the MX made of the sender, with the lab's real header fixtures: one reason per
// path by root cause (real_ip_* → entry_hop_plaintext → auth_failed → landed_in_junk → spam_score_high),
// each route's own authResults, and the relay check as a probe-level failure. Pure.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { ResolvedProbe, ResolvedSender } from "../../src/config/load.js";
import type { RelayResult } from "../../src/core/result.js";
import { judge } from "../../src/probe/judge.js";
import type { PathState } from "../../src/probe/state.js";
import type { Session } from "../../src/receivers/session.js";
import { route } from "../../src/watch/route.js";
import { builtins } from "../../src/builtins.js";

builtins();

const fixture = (name: string) => readFileSync(new URL(`../checks/fixtures/${name}.eml`, import.meta.url));

function probe(sender: Partial<ResolvedSender> = {}, over: Partial<ResolvedProbe> = {}): ResolvedProbe {
  return {
    name: "unit",
    to: "probe@lab.test",
    timeoutMs: 20_000,
    sender: { type: "brevo", from: "probe@sender.lab.test", ...sender },
    paths: [],
    staleAfterMs: 3_600_000,
    sweepDays: 7,
    received: { mxHosts: ["mx.lab.test"], forbiddenCidrs: ["127.0.0.9/32"], expectedCidrs: ["127.0.0.42/32"], internalCidrs: [], requireTls: false },
    relayCheck: [],
    ...over,
  };
}

function verdict(p: ResolvedProbe, name: string, o: { junk?: boolean; relay?: RelayResult[] } = {}) {
  const mailbox = o.junk ? "Junk" : "INBOX";
  const state: PathState = {
    name: "external",
    session: { path: { mailbox: "INBOX" }, openMs: 5 } as unknown as Session,
    found: { uid: 1, seenAtMs: 1_500, headers: fixture(name), mailbox },
    junk: o.junk,
    deleted: true,
  };
  return judge({
    probe: p,
    token: "t",
    startedMs: 0,
    endedMs: 2_000,
    states: [state],
    send: { type: "brevo", ok: true, attempts: 1, notes: [] },
    sendStartMs: 1_000,
    aborted: false,
    cleanup: { deleted: 1, stale: 0, errors: [] },
    relay: o.relay,
  });
}

const dkim = { authResults: { require: ["dkim" as const], authservId: "mx.lab.test" } };

test("healthy: the path is ok and carries spf/dkim/dmarc and the score; nothing required by default", () => {
  const r = verdict(probe(), "brevo-healthy");
  const p = r.paths[0]!;
  assert.equal(p.ok, true, p.detail);
  assert.equal(p.authResults?.dkim?.result, "pass");
  assert.equal(p.spam?.score, -0.6);
  assert.equal(r.authRequire, undefined);
  // Without require, a broken DKIM is reported, not failed (an upgrade does not turn a setup red).
  const broken = verdict(probe(), "brevo-dkim-broken-body").paths[0]!;
  assert.equal(broken.ok, true);
  assert.equal(broken.authResults?.dkim?.result, "fail");
});

test("dkim=broken-body with require [dkim]: auth_failed naming the method and its result", () => {
  const r = verdict(probe(dkim), "brevo-dkim-broken-body");
  assert.equal(r.paths[0]!.reason, "auth_failed");
  assert.equal(r.paths[0]!.detail, 'dkim=fail (sender.lab.test, aligned) "body hash did not verify"; dmarc=fail');
  assert.deepEqual(r.authRequire, ["dkim"]);
});

test("proxy=broken with require [spf]: real_ip_forbidden (the root cause), its detail linking SPF's failure and DMARC's pass", () => {
  const p = verdict(probe({ authResults: { require: ["spf"], authservId: "mx.lab.test" } }), "brevo-proxy-broken").paths[0]!;
  assert.equal(p.reason, "real_ip_forbidden");
  assert.equal(p.detail, "127.0.0.9: forbiddenCidrs 127.0.0.9/32; SPF fail because the MX saw 127.0.0.9; DMARC pass on DKIM alignment (sender.lab.test)");
});

test("node range trusted: real_ip_forbidden with the checks skipped; with a healthy IP the same `none` is auth_failed when required", () => {
  const p = verdict(probe(dkim), "brevo-node-range-proxy-broken").paths[0]!;
  assert.equal(p.reason, "real_ip_forbidden");
  assert.match(p.detail ?? "", /the MX skipped SPF, DKIM and DMARC because it saw 127\.0\.0\.9/);
  const noIpRule = probe(dkim, { received: { ...probe().received!, forbiddenCidrs: ["10.0.0.0/8"], expectedCidrs: [] } });
  const q = verdict(noIpRule, "brevo-node-range-proxy-broken").paths[0]!;
  assert.equal(q.reason, "auth_failed");
  assert.match(q.detail ?? "", /Rspamd skipped the checks, the client may be in local_addrs/);
  const down = verdict(noIpRule, "brevo-rspamd-down").paths[0]!;
  assert.equal(down.reason, "auth_failed");
  assert.match(down.detail ?? "", /no Authentication-Results of mx\.lab\.test/);
});

test("spam: in Junk → landed_in_junk with the score; delivered over spam.maxScore → spam_score_high; auth_failed comes first", () => {
  const junk = verdict(probe(), "spam-junk", { junk: true }).paths[0]!;
  assert.equal(junk.reason, "landed_in_junk");
  assert.match(junk.detail ?? "", /score 8\.30/);
  const high = verdict(probe({ spam: { maxScore: 5 } }), "spam-junk").paths[0]!;
  assert.equal(high.reason, "spam_score_high");
  assert.equal(high.detail, "score 8.30 > spam.maxScore 5 (flagged by the filter)");
  assert.equal(verdict(probe({ spam: { maxScore: 10 } }), "spam-junk").paths[0]!.ok, true);
  assert.equal(verdict(probe({ ...dkim, spam: { maxScore: 5 } }), "spam-junk").paths[0]!.reason, "auth_failed", "dkim=none");
});

test("received.requireTls: a plain ESMTP entry hop is entry_hop_plaintext; the lab's ESMTPS passes", () => {
  const tlsRules = probe({}, { received: { ...probe().received!, requireTls: true } });
  assert.equal(verdict(tlsRules, "brevo-healthy").paths[0]!.ok, true);
  const plain = Buffer.from(fixture("brevo-healthy").toString("latin1").replace("with ESMTPS id", "with ESMTP id"), "latin1");
  const state: PathState = {
    name: "external",
    session: { path: { mailbox: "INBOX" }, openMs: 5 } as unknown as Session,
    found: { uid: 1, seenAtMs: 1_500, headers: plain, mailbox: "INBOX" },
  };
  const r = judge({
    probe: tlsRules,
    token: "t",
    startedMs: 0,
    endedMs: 2_000,
    states: [state],
    send: { type: "brevo", ok: true, attempts: 1, notes: [] },
    sendStartMs: 1_000,
    aborted: false,
    cleanup: { deleted: 1, stale: 0, errors: [] },
  });
  assert.equal(r.paths[0]!.reason, "entry_hop_plaintext");
});

/** The path verdict for the healthy fixture with its entry hop rewritten. */
function rewritten(p: ResolvedProbe, edit: (headers: string) => string, name = "brevo-healthy") {
  const headers = Buffer.from(edit(fixture(name).toString("latin1")), "latin1");
  const state: PathState = {
    name: "external",
    session: { path: { mailbox: "INBOX" }, openMs: 5 } as unknown as Session,
    found: { uid: 1, seenAtMs: 1_500, headers, mailbox: "INBOX" },
  };
  const send = { type: "brevo", ok: true, attempts: 1, notes: [] };
  return judge({
    probe: p,
    token: "t",
    startedMs: 0,
    endedMs: 2_000,
    states: [state],
    send,
    sendStartMs: 1_000,
    aborted: false,
    cleanup: { deleted: 1, stale: 0, errors: [] },
  }).paths[0]!;
}

test("received.requireTls: Postfix's `with SMTP` without TLS details is TLS unknown, not entry_hop_plaintext", () => {
  const tlsRules = probe({}, { received: { ...probe().received!, requireTls: true } });
  const p = rewritten(tlsRules, (h) => h.replace("with ESMTPS id", "with SMTP id"));
  assert.equal(p.ok, true, `${p.reason}: ${p.detail}`);
  assert.equal(p.entryTls?.tls, undefined);
  assert.equal(p.entryTls?.with, "SMTP");
});

test("received.mta: an entry hop not in the configured MTA's grammar is entry_hop_unparsed with the header and a hint", () => {
  const p = rewritten(probe({}, { received: { ...probe().received!, mta: "exim" } }), (h) => h);
  assert.equal(p.reason, "entry_hop_unparsed");
  assert.match(p.ip?.header ?? "", /^Received: from .* by mx\.lab\.test \(Postfix\)/);
  assert.match(p.ip?.hint ?? "", /received\.mta is exim: set it to the MTA that writes this header/);
});

test("entry_hop_unparsed: the hint names the grammar that would read the hop and its client; the verdict is never guessed", () => {
  // Postfix's real header read as Exim: only Postfix's grammar reads it.
  const asExim = rewritten(probe({}, { received: { ...probe().received!, mta: "exim" } }), (h) => h);
  assert.equal(asExim.reason, "entry_hop_unparsed");
  assert.equal(asExim.ip?.ip, undefined);
  assert.match(asExim.ip?.hint ?? "", /postfix's grammar reads it \(client 127\.0\.0\.42\); confirm which MTA/);
  assert.doesNotMatch(asExim.ip?.hint ?? "", /exim's grammar|sendmail's grammar/);
  // The lab's real Exim header under the default (Postfix): Exim's grammar reads the connecting address.
  const p = probe();
  const exim = rewritten(p, (h) => h, "exim-helo-literal-proxy-broken");
  assert.equal(exim.reason, "entry_hop_unparsed");
  assert.match(exim.ip?.hint ?? "", /received\.mta is postfix: .* exim's grammar reads it \(client 127\.0\.0\.9\)/);
  // A header no grammar reads (Exim 3's [address.port]) says so.
  const exim3 = rewritten(p, (h) =>
    h.replace(
      /Received: from relay\.brevo\.lab \([^)]*\)\r\n\s+by mx\.lab\.test \(Postfix\) with ESMTPS/,
      "Received: from relay.brevo.lab ([127.0.0.42.1025] helo=relay.brevo.lab)\r\n  by mx.lab.test with esmtp (Exim 3.36 #1)",
    ),
  );
  assert.equal(exim3.reason, "entry_hop_unparsed", JSON.stringify(exim3.ip));
  assert.match(exim3.ip?.hint ?? "", /no known grammar reads it \(postfix, exim, opensmtpd, sendmail, exchange, stalwart, mox\)/);
});

test("a watchSender route carries its own requirements: the main route's require [dkim] does not apply to it", () => {
  const p = probe(dkim, { watchSender: { type: "smtp", from: "probe@sender.lab.test" } as ResolvedSender });
  const routed = route([p], "smtp");
  assert.ok(Array.isArray(routed));
  assert.equal(verdict(routed[0]!, "brevo-dkim-broken-body").paths[0]!.ok, true);
  assert.equal(verdict(p, "brevo-dkim-broken-body").paths[0]!.reason, "auth_failed");
});

test("an open relay fails the probe (reason open_relay), not the paths; refused or unreachable entries do not", () => {
  const open: RelayResult = { entry: "public-smtp", state: "open", detail: "RCPT TO:<relay-test@example.invalid> accepted: 250 2.1.5 Ok" };
  const r = verdict(probe(), "brevo-healthy", { relay: [open, { entry: "alt", state: "refused", detail: "554 5.7.1 Relay access denied" }] });
  assert.equal(r.ok, false);
  assert.equal(r.reason, "open_relay");
  assert.equal(r.paths[0]!.ok, true);
  const fine = verdict(probe(), "brevo-healthy", { relay: [{ entry: "x", state: "error", detail: "ECONNREFUSED" }] });
  assert.equal(fine.ok, true);
});

test("relayCheck from: lan — an accepted relay is the warning relays_for_lan, not open_relay; the run stays ok", () => {
  const lan: RelayResult = { entry: "public-smtp", state: "open", from: "lan", detail: "RCPT TO:<relay-test@example.invalid> accepted: 250 2.1.5 Ok" };
  const stranger: RelayResult = { entry: "alt-submission", state: "refused", detail: "554 5.7.1 Relay access denied" };
  const r = verdict(probe(), "brevo-healthy", { relay: [lan, stranger] });
  assert.equal(r.ok, true);
  assert.equal(r.reason, undefined);
  assert.deepEqual(
    r.warnings?.map((w) => w.code),
    ["relays_for_lan"],
  );
  assert.match(r.warnings![0]!.message, /relays_for_lan public-smtp/);
  // The same acceptance on a stranger entry is still open_relay.
  const open = verdict(probe(), "brevo-healthy", { relay: [{ ...lan, from: undefined }, stranger] });
  assert.equal(open.reason, "open_relay");
  assert.equal(open.warnings, undefined);
});
