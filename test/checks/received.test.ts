import assert from "node:assert/strict";
import { test } from "node:test";
import { checkReceived, entryHop, normaliseIp, parseHop, receivedHeaders } from "../../src/checks/received.js";

const rules = { mxHosts: ["mx.example.com"], forbiddenCidrs: ["10.42.0.0/16", "192.168.1.1/32"], expectedCidrs: [] as string[] };

// Real shapes: Postfix 3.7 behind postscreen with PROXY, Dovecot 2.3 LMTP on top, Brevo's hops below.
const viaProxy = [
  "Return-Path: <bounces@sendinblue.example>",
  "Delivered-To: probe@example.com",
  "Received: from mx.example.com",
  "\tby mx.example.com with LMTP",
  "\tid 4dbAILxVBGt/GwAAg+zDdQ",
  "\t(envelope-from <bounces@sendinblue.example>)",
  "\tfor <probe@example.com>; Mon, 23 Nov 2026 15:03:24 +0000",
  "Received: from smtp-relay.sendinblue.com (smtp-relay.sendinblue.com [1.179.115.1])",
  "\tby mx.example.com (Postfix) with ESMTPS id 7AC2016A091",
  "\tfor <probe@example.com>; Mon, 23 Nov 2026 15:03:24 +0000 (UTC)",
  "Received: from api.sendinblue.com by smtp-relay.sendinblue.com with HTTP; Mon, 23 Nov 2026 15:03:23 GMT",
  "Subject: mailprobe inbound",
  "",
  "",
].join("\r\n");

test("Postfix behind PROXY: the entry hop names the relay, not the LMTP hop on top", () => {
  const v = checkReceived(viaProxy, rules);
  assert.equal(v.ok, true);
  assert.equal(v.ip, "1.179.115.1");
  assert.match(v.header!, /^Received: from smtp-relay\.sendinblue\.com .* by mx\.example\.com \(Postfix\) with ESMTPS/);
  assert.equal(v.rule, "not in forbiddenCidrs");
});

test("Postfix without PROXY: the node address is forbidden, naming header, IP and rule", () => {
  const v = checkReceived(viaProxy.replace("[1.179.115.1]", "[10.42.3.17]"), rules);
  assert.equal(v.ok, false);
  assert.equal(v.reason, "real_ip_forbidden");
  assert.equal(v.ip, "10.42.3.17");
  assert.equal(v.rule, "forbiddenCidrs 10.42.0.0/16");
});

test("expectedCidrs: an address outside them is unexpected; inside names the rule", () => {
  const r = { ...rules, expectedCidrs: ["1.179.112.0/20"] };
  assert.equal(checkReceived(viaProxy, r).rule, "expectedCidrs 1.179.112.0/20");
  const v = checkReceived(viaProxy.replace("[1.179.115.1]", "[203.0.113.9]"), r);
  assert.equal(v.reason, "real_ip_unexpected");
  assert.equal(v.ip, "203.0.113.9");
});

test("reinjection through localhost (content filter): the entry hop is the oldest of our run", () => {
  const block = [
    "Received: from mx.example.com by mx.example.com with LMTP id x for <p@example.com>; Mon, 23 Nov 2026 15:03:25 +0000",
    "Received: from localhost (localhost [127.0.0.1]) by mx.example.com (Postfix) with ESMTP id AAA for <p@example.com>; Mon, 23 Nov 2026 15:03:25 +0000",
    "Received: from relay.example.net (unknown [198.51.100.7]) by mx.example.com (Postfix) with ESMTPS id BBB for <p@example.com>; Mon, 23 Nov 2026 15:03:24 +0000",
    "Received: from client (client [192.0.2.1]) by relay.example.net with ESMTPSA; Mon, 23 Nov 2026 15:03:23 +0000",
    "",
    "",
  ].join("\n");
  const v = checkReceived(block, rules);
  assert.equal(v.ip, "198.51.100.7");
  assert.equal(v.ok, true);
});

test("Dovecot LMTP with a TCP hop and a different host name above our run is skipped", () => {
  const block = [
    "Received: from mx.example.com ([127.0.0.1]) by dovecot-0.dovecot.mail.svc with LMTP id x; Mon, 23 Nov 2026 15:03:25 +0000",
    "Received: from relay.example.net (unknown [198.51.100.7]) by mx.example.com (Postfix) with ESMTPS id B; Mon, 23 Nov 2026 15:03:24 +0000",
    "",
    "",
  ].join("\n");
  assert.equal(checkReceived(block, rules).ip, "198.51.100.7");
});

test("a forged Received below a foreign hop is never trusted", () => {
  const block = [
    "Received: from relay.example.net (unknown [10.42.0.5]) by mx.example.com (Postfix) with ESMTP id B; Mon, 23 Nov 2026 15:03:24 +0000",
    "Received: from x by evil.example with SMTP; Mon, 23 Nov 2026 15:03:23 +0000",
    "Received: from good (good [1.179.115.1]) by mx.example.com (Postfix) with ESMTP id F; Mon, 23 Nov 2026 15:00:00 +0000",
    "",
    "",
  ].join("\n");
  const v = checkReceived(block, rules);
  assert.equal(v.reason, "real_ip_forbidden");
  assert.equal(v.ip, "10.42.0.5");
});

test("IPv6 literals and IPv4-mapped IPv6", () => {
  const v6 = viaProxy.replace("[1.179.115.1]", "[IPv6:2001:db8::25]");
  assert.equal(checkReceived(v6, rules).ip, "2001:db8::25");
  assert.equal(checkReceived(v6, { ...rules, forbiddenCidrs: ["2001:db8::/32"] }).reason, "real_ip_forbidden");
  const mapped = viaProxy.replace("[1.179.115.1]", "[IPv6:::ffff:10.42.1.1]");
  const v = checkReceived(mapped, rules);
  assert.equal(v.ip, "10.42.1.1");
  assert.equal(v.reason, "real_ip_forbidden");
  // An IPv4-mapped rule covers the IPv4 form too.
  assert.equal(
    checkReceived(viaProxy.replace("[1.179.115.1]", "[10.9.9.9]"), { ...rules, forbiddenCidrs: ["::ffff:10.9.0.0/112"] }).reason,
    "real_ip_forbidden",
  );
});

test("a HELO that is itself an address literal is not taken for the client", () => {
  const hop = parseHop("from [1.179.115.1] (unknown [10.42.0.9]) by mx.example.com (Postfix) with ESMTP id Q", 0);
  assert.equal(hop.ip, "10.42.0.9");
});

test("missing or odd headers give real_ip_missing or entry_hop_unparsed, never an exception", () => {
  assert.equal(checkReceived("Subject: x\r\n\r\n", rules).reason, "real_ip_missing");
  assert.equal(checkReceived("", rules).reason, "real_ip_missing");
  // Not Postfix's shape (it always writes "(name [address])"): refused, never guessed.
  const noIp = "Received: from localhost by mx.example.com (Postfix) with ESMTP id Z; Mon, 23 Nov 2026 15:03:24 +0000\n\n";
  const v = checkReceived(noIp, rules);
  assert.equal(v.reason, "entry_hop_unparsed");
  assert.match(v.rule!, /does not parse as postfix's Received/);
  assert.equal(checkReceived("Received: by mx.example.com with (((((([[[[[\n\n", rules).reason, "entry_hop_unparsed");
  assert.equal(checkReceived(Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0x0a]), rules).reason, "real_ip_missing");
});

test("odd literals: octal/short IPv4 forms and junk are not addresses", () => {
  assert.equal(normaliseIp("010.1.1.1"), undefined);
  assert.equal(normaliseIp("10.1"), undefined);
  assert.equal(normaliseIp("999.1.1.1"), undefined);
  assert.equal(normaliseIp("IPv6:::1"), "::1");
  assert.equal(normaliseIp("1.2.3.4"), "1.2.3.4");
});

test("folded headers are unfolded; host names match case-insensitively and by wildcard", () => {
  const list = receivedHeaders("Received: from a (b\r\n [192.0.2.8])\r\n  by MX1.Example.COM. (Postfix)\r\n\twith ESMTP\r\n\r\n");
  assert.deepEqual(list, ["from a (b [192.0.2.8]) by MX1.Example.COM. (Postfix) with ESMTP"]);
  const hops = list.map((v, i) => parseHop(v, i));
  assert.equal(entryHop(hops, ["*.example.com"])?.ip, "192.0.2.8");
  assert.equal(entryHop(hops, ["mx1.example.com"])?.ip, "192.0.2.8");
  assert.equal(entryHop(hops, ["mx2.example.com"]), undefined);
});

// A sender writes whatever Received headers it likes below ours, including ones that claim our MX.
const forgedBelow = [
  "Received: from mx.example.com ([127.0.0.1]) by mx.example.com with LMTP id x for <p@example.com>; Mon, 23 Nov 2026 15:03:25 +0000",
  "Received: from relay.example.net (unknown [10.42.3.17]) by mx.example.com (Postfix) with ESMTP id REAL for <p@example.com>; Mon, 23 Nov 2026 15:03:24 +0000",
  "Received: from good (good [1.179.115.1]) by mx.example.com (Postfix) with ESMTPS id FORGED for <p@example.com>; Mon, 23 Nov 2026 15:03:23 +0000",
  "",
  "",
].join("\r\n");

test("a forged by-our-MX header right below the entry hop is never judged", () => {
  const v = checkReceived(forgedBelow, rules);
  assert.equal(v.reason, "real_ip_forbidden");
  assert.equal(v.ip, "10.42.3.17");
  assert.match(v.header!, /id REAL/);
  // The same with an entry hop the rules do not name: still ours, still judged.
  const other = checkReceived(forgedBelow.replace("[10.42.3.17]", "[203.0.113.50]"), { ...rules, expectedCidrs: ["1.179.112.0/20"] });
  assert.equal(other.reason, "real_ip_unexpected");
  assert.equal(other.ip, "203.0.113.50");
});

test("a content filter reinjecting from a configured internal address is skipped, not judged", () => {
  const block = [
    "Received: from mx.example.com ([127.0.0.1]) by mx.example.com with LMTP id x; Mon, 23 Nov 2026 15:03:26 +0000",
    "Received: from filter (filter [10.50.0.3]) by mx.example.com (Postfix) with ESMTP id AFTER; Mon, 23 Nov 2026 15:03:25 +0000",
    "Received: from relay.example.net (unknown [198.51.100.7]) by mx.example.com (Postfix) with ESMTPS id ENTRY; Mon, 23 Nov 2026 15:03:24 +0000",
    "",
    "",
  ].join("\n");
  assert.equal(checkReceived(block, rules).ip, "10.50.0.3", "without internalCidrs the filter's hop is a client");
  const v = checkReceived(block, { ...rules, internalCidrs: ["10.50.0.0/24"] });
  assert.equal(v.ip, "198.51.100.7");
  assert.equal(v.ok, true);
});

test("loopback named by the rules is judged: the lab's relay and SNAT addresses are caught", () => {
  const block = forgedBelow.replace("[10.42.3.17]", "[127.0.0.9]");
  const lab = { mxHosts: ["mx.example.com"], forbiddenCidrs: ["127.0.0.9/32"], expectedCidrs: ["127.0.0.42/32"] };
  assert.equal(checkReceived(block, lab).reason, "real_ip_forbidden");
  assert.equal(checkReceived(block.replace("[127.0.0.9]", "[127.0.0.42]"), lab).ok, true);
  // Unnamed loopback is an internal hop: the scan goes on to the next header of our run.
  assert.equal(checkReceived(block.replace("[127.0.0.9]", "[127.0.0.5]"), lab).ip, "1.179.115.1");
});

test("a run of internal hops only (local submission) yields its oldest", () => {
  const block = "Received: from localhost (localhost [127.0.0.1]) by mx.example.com (Postfix) with ESMTP id L; Mon, 23 Nov 2026 15:03:24 +0000\r\n\r\n";
  const v = checkReceived(block, rules);
  assert.equal(v.ip, "127.0.0.1");
  assert.equal(v.ok, true);
});
