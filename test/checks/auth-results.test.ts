// The MX's own Authentication-Results, its spam score and the entry hop's TLS, read from header
// blocks the lab's real Postfix → Rspamd → Dovecot pipeline stored (test/checks/fixtures/README.md).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { authservIdOf, mxAuthResults, parseAuthResultsValue } from "../../src/checks/auth-results.js";
import { authFailure, authLink, authPhrase } from "../../src/checks/auth-verdict.js";
import { headerList } from "../../src/checks/headers.js";
import { readMessage } from "../../src/checks/message.js";
import { defaultAuthservId } from "../../src/checks/mx-headers.js";
import { parseHop, type ReceivedRules } from "../../src/checks/received.js";

const readMxHeaders = (b: Buffer | string, r: ReceivedRules, id: string) => {
  const m = readMessage(b, r, id);
  return { ...m, authResults: m.authResults! };
};
const entryTlsOf = (v: string) => parseHop(v, 0).tls;

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}.eml`, import.meta.url));
const rules = { mxHosts: ["mx.lab.test"], forbiddenCidrs: ["127.0.0.9/32"], expectedCidrs: ["127.0.0.42/32"] };
const read = (name: string, id = "mx.lab.test") => readMxHeaders(fixture(name), rules, id);

test("healthy Brevo route: spf, dkim (aligned header.d) and dmarc pass; the score from X-Spam-Status; the entry hop used TLS", () => {
  const mx = read("brevo-healthy");
  assert.equal(mx.authResults.state, "found");
  assert.equal(mx.authResults.ignored, 0);
  assert.equal(mx.authResults.fromDomain, "sender.lab.test");
  assert.deepEqual(mx.authResults.dkim, { result: "pass", domain: "sender.lab.test", aligned: true });
  assert.equal(mx.authResults.spf?.result, "pass");
  // SPF is Brevo's bounce domain: passes, but does not align with From (DMARC passes on DKIM).
  assert.equal(mx.authResults.spf?.domain, "relay.brevo.lab");
  assert.equal(mx.authResults.spf?.aligned, false);
  assert.deepEqual(mx.authResults.dmarc, { result: "pass", domain: "sender.lab.test", comment: "policy=reject" });
  assert.deepEqual(mx.spam, { score: -0.6, flagged: false, threshold: 15, header: "x-spam-status" });
  assert.deepEqual(mx.entryTls, { tls: true, with: "ESMTPS" });
  assert.equal(authPhrase(mx.authResults), "spf=pass dkim=pass (sender.lab.test, aligned) dmarc=pass");
  assert.equal(authFailure(mx.authResults, ["spf", "dkim", "dmarc"]), undefined);
});

test("proxy=broken: spf=fail for the node address, DMARC still passes on DKIM alignment, and the link says why", () => {
  const mx = read("brevo-proxy-broken");
  assert.equal(mx.authResults.spf?.result, "fail");
  assert.match(mx.authResults.spf?.comment ?? "", /does not designate 127\.0\.0\.9/);
  assert.equal(mx.authResults.dmarc?.result, "pass");
  assert.equal(authLink(mx.authResults, "127.0.0.9"), "SPF fail because the MX saw 127.0.0.9; DMARC pass on DKIM alignment (sender.lab.test)");
  assert.equal(
    authFailure(mx.authResults, ["spf"]),
    'spf=fail "mx.lab.test: domain of bounces@relay.brevo.lab does not designate 127.0.0.9 as permitted sender"; dmarc=pass',
  );
  assert.equal(authFailure(mx.authResults, ["dkim", "dmarc"]), undefined);
});

test("node range trusted: the MX's header says `none`, the checks were skipped", () => {
  const mx = read("brevo-node-range-proxy-broken");
  assert.equal(mx.authResults.state, "none");
  assert.equal(mx.authResults.spf, undefined);
  assert.match(authFailure(mx.authResults, ["spf"]) ?? "", /Rspamd skipped the checks, the client may be in local_addrs/);
  assert.equal(authLink(mx.authResults, "127.0.0.9"), "the MX skipped SPF, DKIM and DMARC because it saw 127.0.0.9 (a local client: local_addrs)");
  assert.equal(authFailure(mx.authResults, []), undefined, "nothing required: report only");
});

test("DKIM broken (body, wrong key): dkim=fail with the verifier's reason; dmarc=fail with its reason", () => {
  for (const [name, why] of [
    ["brevo-dkim-broken-body", "body hash did not verify"],
    ["brevo-dkim-wrong-key", "headers rsa verify failed"],
  ]) {
    const mx = read(name!);
    assert.deepEqual(mx.authResults.dkim, { result: "fail", domain: "sender.lab.test", aligned: true, comment: why });
    assert.deepEqual(mx.authResults.dmarc, { result: "fail", domain: "sender.lab.test", comment: "SPF not aligned (relaxed)" });
    assert.equal(authFailure(mx.authResults, ["dkim"]), `dkim=fail (sender.lab.test, aligned) "${why}"; dmarc=fail`);
  }
});

test("a forged Authentication-Results claiming our MX: removed by Rspamd (only its own counts), ignored when the filter is down", () => {
  const up = read("brevo-forged-ar-proxy-broken");
  assert.equal(up.authResults.spf?.result, "fail", "the MX's real verdict, not the sender's spf=pass");
  assert.equal(up.spam?.score, -0.4, "not the sender's -5.00");
  const down = read("brevo-forged-ar-rspamd-down");
  assert.equal(down.authResults.state, "absent");
  assert.equal(down.authResults.ignored, 1, "the sender's header is seen and ignored");
  assert.equal(down.spam, undefined, "the sender's X-Spam-Status: No, score=-5.00 is not the filter's");
  assert.match(authFailure(down.authResults, ["spf"]) ?? "", /no Authentication-Results of mx\.lab\.test where the MX writes it/);
});

test("Rspamd down: absent, no score; spam in Junk: the trailing X-Spam-Status: Yes with its score", () => {
  const down = read("brevo-rspamd-down");
  assert.equal(down.authResults.state, "absent");
  assert.equal(down.spam, undefined);
  const spam = read("spam-junk");
  assert.deepEqual(spam.spam, { score: 8.3, flagged: true, threshold: 15, header: "x-spam-status" });
  assert.equal(spam.authResults.dkim?.result, "none");
});

test("another authserv-id is never ours; the default authserv-id is the first non-wildcard mxHost", () => {
  assert.equal(read("brevo-healthy", "relay.example").authResults.state, "absent");
  assert.equal(defaultAuthservId(["*.example.com", "MX.example.com"]), "mx.example.com");
  assert.equal(defaultAuthservId(["*.example.com"]), undefined);
});

test("position rule: only the run of filter-prepended headers directly below the entry hop; ARC headers may sit in it", () => {
  const h = (lines: string[]) => headerList(lines.join("\r\n") + "\r\n\r\n");
  const entry = "Received: from a (unknown [192.0.2.1]) by mx.lab.test (Postfix) with ESMTPS id X";
  const ok = h([
    entry,
    "ARC-Seal: i=1; a=rsa-sha256; d=lab.test",
    "Authentication-Results: other.example; spf=fail",
    "Authentication-Results: mx.lab.test; spf=pass",
    "Subject: x",
  ]);
  assert.equal(mxAuthResults(ok, 0, "mx.lab.test").spf?.result, "pass");
  const below = h([entry, "Subject: x", "Authentication-Results: mx.lab.test; spf=pass"]);
  const r = mxAuthResults(below, 0, "mx.lab.test");
  assert.equal(r.state, "absent");
  assert.equal(r.ignored, 1);
  assert.equal(mxAuthResults(ok, undefined, "mx.lab.test").state, "absent", "no entry hop: nothing located");
  // Two filters (e.g. OpenDKIM and OpenDMARC) each prepend one: the methods merge.
  const two = h([
    entry,
    "Authentication-Results: mx.lab.test; dmarc=pass header.from=a.example",
    "Authentication-Results: mx.lab.test; dkim=pass header.d=a.example",
    "From: <x@a.example>",
  ]);
  assert.deepEqual(authPhrase(mxAuthResults(two, 0, "mx.lab.test")), "spf=- dkim=pass (a.example, aligned) dmarc=pass");
});

test("RFC 8601 parsing: authserv-id with version and comments, quoted reasons with ';', method versions, several DKIM signatures", () => {
  assert.equal(authservIdOf(" (comment) MX.Example.COM 1 ; spf=pass"), "mx.example.com");
  const p = parseAuthResultsValue(
    'mx.example.com; dkim/1=fail reason="bad; really (x)" header.d=other.example; dkim=pass header.d=a.example; spf=pass smtp.mailfrom=<b@a.example>',
  );
  assert.deepEqual(
    p.methods.map((m) => [m.method, m.result, m.props["header.d"] ?? m.props["smtp.mailfrom"]]),
    [
      ["dkim", "fail", "other.example"],
      ["dkim", "pass", "a.example"],
      ["spf", "pass", "<b@a.example>"],
    ],
  );
  assert.equal(p.methods[0]!.props["reason"], "bad; really (x)");
  const headers = headerList(
    `Received: from a (unknown [192.0.2.1]) by mx.example.com (Postfix) with ESMTP id X\r\nAuthentication-Results: ${"mx.example.com; dkim=fail header.d=other.example; dkim=pass header.d=a.example; spf=pass smtp.mailfrom=<b@a.example>"}\r\nFrom: A <x@a.example>\r\n\r\n`,
  );
  const r = mxAuthResults(headers, 0, "mx.example.com");
  assert.deepEqual(r.dkim, { result: "pass", domain: "a.example", aligned: true }, "the aligned pass among the signatures");
  assert.deepEqual(r.spf, { result: "pass", domain: "a.example", aligned: true });
});

test("entry-hop TLS: Postfix's ESMTPS / ESMTPSA, its (using TLSv1.3 with cipher …) comment, plain ESMTP", () => {
  assert.deepEqual(entryTlsOf("from a (b [192.0.2.1]) by mx (Postfix) with ESMTPS id X"), { tls: true, with: "ESMTPS" });
  assert.deepEqual(entryTlsOf("from a (b [192.0.2.1]) by mx (Postfix) with ESMTPSA id X"), { tls: true, with: "ESMTPSA" });
  assert.deepEqual(entryTlsOf("from a (b [192.0.2.1]) by mx (Postfix) with ESMTPA id X"), { tls: false, with: "ESMTPA" });
  assert.deepEqual(entryTlsOf("from a (b [192.0.2.1]) by mx (Postfix) with ESMTP id X"), { tls: false, with: "ESMTP" });
  assert.deepEqual(
    entryTlsOf(
      "from a (b [192.0.2.1]) (using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits) key-exchange X25519) (No client certificate requested) by mx (Postfix) with ESMTPS id X",
    ),
    { tls: true, protocol: "TLSv1.3", cipher: "TLS_AES_256_GCM_SHA384", with: "ESMTPS" },
  );
});

test("RFC 8601: Appendix B.7's comment-heavy versioned method and a quoted authserv-id are read", () => {
  const b7 = parseAuthResultsValue(
    "foo.example.net (foobar) 1 (baz); dkim (Because I like it) / 1 (One yay) = (wait for it) fail policy (A dot can go here) . (like that) expired (this surprised me) = (as I wasn't expecting it) 1362471462",
  );
  assert.equal(b7.authservId, "foo.example.net");
  assert.equal(b7.methods[0]?.method, "dkim");
  assert.equal(b7.methods[0]?.result, "fail");
  assert.equal(b7.methods[0]?.props["policy.expired"], "1362471462");
  assert.equal(authservIdOf('"mx.example.com"; spf=pass smtp.mailfrom=a.example'), "mx.example.com");
});

test("a refusal says its real cause: an unreadable resinfo is not `checks skipped`", () => {
  const list = [
    { key: "received", value: "from h (h [192.0.2.1]) by mx.example.com (Postfix) with ESMTPS id E" },
    { key: "authentication-results", value: "mx.example.com; spf pass smtp.mailfrom=a.example" },
    { key: "from", value: "a@a.example" },
  ];
  const r = mxAuthResults(list, 0, "mx.example.com");
  assert.equal(r.state, "none");
  assert.match(r.note!, /could not be read/);
  assert.equal(authPhrase(r), "auth none (unreadable)");
  assert.match(authFailure(r, ["spf"])!, /could not be read.*required: spf/);
  assert.equal(authLink(r, "10.42.0.1"), undefined, "no claim that the MX skipped the checks");
  const none = mxAuthResults([list[0]!, { key: "authentication-results", value: "mx.example.com; none" }], 0, "mx.example.com");
  assert.equal(authPhrase(none), "auth none (checks skipped)");
});

const saRules = { mxHosts: ["mx.example.com"], forbiddenCidrs: ["10.42.0.0/16"], expectedCidrs: [] };
// The SpamAssassin/OpenDKIM/OpenDMARC/policyd-spf stack: one A-R per milter below our Received, the
// SpamAssassin headers appended by spamass-milter at the end (shapes as those tools write them).
const saStack = [
  "Received: from relay.example (relay.example [192.0.2.20]) by mx.example.com (Postfix) with ESMTPS id 4Q for <p@example.com>; Mon, 23 Nov 2026 15:03:24 +0000 (UTC)",
  "Authentication-Results: mx.example.com; dmarc=pass (p=reject dis=none) header.from=a.example",
  "Authentication-Results: mx.example.com; dkim=pass (2048-bit key; unprotected) header.d=a.example header.i=@a.example header.a=rsa-sha256 header.s=s1 header.b=AbCdEf12",
  "Authentication-Results: mx.example.com; spf=pass (sender SPF authorized) smtp.mailfrom=bounce.a.example (client-ip=192.0.2.20; helo=relay.example; envelope-from=x@bounce.a.example; receiver=<UNKNOWN>)",
  "From: A <a@a.example>",
  "Subject: x",
  "X-Spam-Checker-Version: SpamAssassin 4.0.0 (2022-12-13) on mx.example.com",
  "X-Spam-Level: ",
  "X-Spam-Status: No, score=-0.1 required=5.0 tests=DKIM_SIGNED,DKIM_VALID, DKIM_VALID_AU,SPF_PASS autolearn=ham autolearn_force=no version=4.0.0",
  "",
  "",
].join("\r\n");

test("SpamAssassin/OpenDKIM/OpenDMARC/policyd-spf: several A-R of one authserv-id merge; the score and threshold from X-Spam-Status", () => {
  const mx = readMxHeaders(saStack, saRules, "mx.example.com");
  assert.equal(mx.authResults.state, "found");
  assert.equal(mx.authResults.spf?.result, "pass");
  assert.equal(mx.authResults.dkim?.domain, "a.example");
  assert.equal(mx.authResults.dmarc?.result, "pass");
  assert.deepEqual(mx.spam, { score: -0.1, flagged: false, header: "x-spam-status", threshold: 5 });
  const flagged = saStack.replace("X-Spam-Status: No, score=-0.1", "X-Spam-Flag: YES\r\nX-Spam-Status: Yes, score=7.3");
  assert.equal(readMxHeaders(flagged, saRules, "mx.example.com").spam?.flagged, true);
});

test("policyd-spf's Received-SPF counts only directly above the entry hop (a PREPEND lands there), never below it", () => {
  const lines = saStack.split("\r\n").filter((l) => !l.includes("spf=pass"));
  const rspf =
    "Received-SPF: Pass (mailfrom) identity=mailfrom; client-ip=192.0.2.20; helo=relay.example; envelope-from=x@bounce.a.example; receiver=<UNKNOWN>";
  const above = [rspf, ...lines].join("\r\n");
  const mx = readMxHeaders(above, saRules, "mx.example.com");
  assert.deepEqual(mx.authResults.spf, { result: "pass", domain: "bounce.a.example", aligned: true, comment: "mailfrom" });
  // Written by the sender (below our Received): ignored.
  const below = [lines[0], rspf.replace("Pass", "Pass"), ...lines.slice(1)].join("\r\n");
  assert.equal(readMxHeaders(below, saRules, "mx.example.com").authResults.spf, undefined);
});

test("SpamAssassin stack (OpenDKIM, OpenDMARC, policyd-spf): their Authentication-Results and Received-SPF stand above the entry hop and are read as the MX's", () => {
  const mx = read("sa-brevo-healthy");
  assert.equal(mx.authResults.state, "found");
  assert.equal(mx.authResults.spf?.result, "pass");
  assert.equal(mx.authResults.dkim?.result, "pass");
  assert.equal(mx.authResults.dkim?.aligned, true);
  assert.equal(mx.authResults.dmarc?.result, "pass");
  // PROXY lost: SPF fails on the node address (the sender's forged A-R was removed by the stack).
  const broken = read("sa-forged-ar-proxy-broken");
  assert.equal(broken.authResults.spf?.result, "fail");
});
