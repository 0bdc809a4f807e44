// The MTA grammars (src/checks/grammars.ts) and the entry-hop rule: each dangerous misread of issue 20
// as a failing-then-passing case. The header shapes follow each MTA's source (named in grammars.ts).
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Mta } from "../../src/checks/grammars.js";
import { readMessage } from "../../src/checks/message.js";
import { checkReceived, parseHop } from "../../src/checks/received.js";

const rules = { mxHosts: ["mx.example.com"], forbiddenCidrs: ["10.42.0.0/16"], expectedCidrs: [] as string[] };
const under = (mta: Mta) => ({ ...rules, mta });
const block = (...received: string[]) => received.map((r) => `Received: ${r}; Mon, 23 Nov 2026 15:03:24 +0000`).join("\r\n") + "\r\nSubject: x\r\n\r\n";
const LMTP = "from mx.example.com ([10.42.1.15]) by mx.example.com with LMTP id 4dbAILxV (envelope-from <b@relay.example>) for <p@example.com>";
const FORGED = "from good (good [1.179.115.1]) by mx.example.com (Postfix) with ESMTPS id FORGED for <p@example.com>";

test("Exim: the connecting address, never the HELO literal the client announced", () => {
  const bare = block(
    "from [192.0.2.66] (helo=[203.0.113.5]) by mx.example.com with esmtp (Exim 4.96) (envelope-from <a@b.example>) id 1tAbCd-000123-4x for p@example.com",
  );
  assert.equal(checkReceived(bare, under("exim")).ip, "192.0.2.66");
  const named = block(
    "from host.example.net ([192.0.2.66]:52044 helo=[203.0.113.5]) by mx.example.com with esmtps (TLS1.3) tls TLS_AES_256_GCM_SHA384 (Exim 4.96) id 1t-1",
  );
  const v = readMessage(named, under("exim"));
  assert.equal(v.ip.ip, "192.0.2.66");
  assert.deepEqual(v.entryTls, { tls: true, protocol: "TLS1.3", cipher: "TLS_AES_256_GCM_SHA384", with: "esmtps" });
  // Under Postfix's grammar the same header is refused, never read as 203.0.113.5.
  assert.equal(checkReceived(bare, rules).reason, "entry_hop_unparsed");
  assert.equal(checkReceived(named, rules).reason, "entry_hop_unparsed");
});

test("a HELO literal is never the client: Postfix's HELO [x] (name [y]), CommuniGate's HELO [x], a bare from [x] by …", () => {
  assert.equal(checkReceived(block("from [203.0.113.5] (unknown [192.0.2.66]) by mx.example.com (Postfix) with ESMTP id Q"), rules).ip, "192.0.2.66");
  const cgp = block("from [10.10.10.10] (account a@b.example HELO [10.10.10.10]) by mx.example.com (CommuniGate Pro SMTP 6.3) with ESMTP id 1");
  for (const mta of ["postfix", "exim", "opensmtpd", "sendmail", "exchange", "stalwart"] as const) {
    const v = checkReceived(cgp, under(mta));
    assert.notEqual(v.ip, "10.10.10.10", mta);
  }
  assert.equal(checkReceived(block("from [203.0.113.5] by mx.example.com (Postfix) with ESMTP id Q"), rules).reason, "entry_hop_unparsed");
});

test("client text that imitates the structure (a HELO with spaces, as Postfix accepts) is refused, never guessed", () => {
  const helo =
    "from x (good [1.179.115.1]) by mx.example.com (Postfix) with ESMTPS id F (unknown [10.42.3.17]) by mx.example.com (Postfix) with ESMTP id REAL for <p@example.com>";
  const v = checkReceived(block(helo), rules);
  assert.equal(v.reason, "entry_hop_unparsed");
  assert.equal(v.ip, undefined);
});

test("qmail and Exim 3 forms: refused with entry_hop_unparsed, not silently missed", () => {
  const qmail = block("from unknown (HELO relay.example) (192.0.2.7) by mx.example.com with SMTP");
  assert.equal(checkReceived(qmail, rules).reason, "entry_hop_unparsed");
  const exim3 = block("from relay.example ([192.0.2.7.1025] helo=relay.example) by mx.example.com with esmtp (Exim 3.36 #1) id 18abcd-0001");
  const v = checkReceived(exim3, under("exim"));
  assert.equal(v.reason, "entry_hop_unparsed");
  assert.match(v.rule!, /not an IP address/);
});

test("an LMTP hop over TCP is delivery, not entry, whatever its address", () => {
  const b = block(LMTP, "from relay.example (relay.example [198.51.100.7]) by mx.example.com (Postfix) with ESMTPS id E for <p@example.com>");
  const v = checkReceived(b, rules);
  assert.equal(v.ok, true, JSON.stringify(v));
  assert.equal(v.ip, "198.51.100.7");
  assert.equal(parseHop(LMTP, 0).kind, "delivery");
});

test("a hop of ours that names no client (smtpd_hide_client_session) stops the scan: the forged header below is never read", () => {
  const b = block("by mx.example.com (Postfix) with ESMTPS id HIDDEN for <p@example.com>", FORGED);
  const v = checkReceived(b, { ...rules, expectedCidrs: ["1.179.112.0/20"] });
  assert.equal(v.ok, false);
  assert.equal(v.reason, "real_ip_missing");
  assert.match(v.header!, /HIDDEN/);
  assert.equal(v.ip, undefined);
});

test("a hop of ours that does not parse stops the scan: the forged header below is never read", () => {
  const b = block("from weird by mx.example.com (Postfix) with ESMTP id ODD", FORGED);
  const v = checkReceived(b, { ...rules, expectedCidrs: ["1.179.112.0/20"] });
  assert.equal(v.reason, "entry_hop_unparsed");
  assert.match(v.header!, /id ODD/);
});

test("Postfix `with SMTP` without TLS details: TLS unknown, not plaintext; ESMTP is plaintext; ESMTPS is TLS", () => {
  const hop = (w: string) => parseHop(`from h (h [192.0.2.1]) by mx.example.com (Postfix) with ${w} id X`, 0).tls;
  assert.deepEqual(hop("SMTP"), { with: "SMTP" });
  assert.equal(hop("ESMTP")?.tls, false);
  assert.equal(hop("ESMTPSA")?.tls, true);
});

test("each MTA's own trace header: the client address, the by host and the TLS evidence", () => {
  const cases: [Mta, string, string, boolean | undefined][] = [
    [
      "opensmtpd",
      "from relay.example (relay.example [192.0.2.8]) by mx.example.com (OpenSMTPD) with ESMTPS id 1a2b3c4d (TLSv1.3:TLS_AES_256_GCM_SHA384:256:NO) for <p@example.com>",
      "192.0.2.8",
      true,
    ],
    [
      "opensmtpd",
      "from relay.example (<unknown> [IPv6:2001:db8::8]) by mx.example.com (OpenSMTPD) with ESMTP id 1a2b3c4d for <p@example.com>",
      "2001:db8::8",
      false,
    ],
    [
      "sendmail",
      "from relay.example (relay.example [192.0.2.9] (may be forged)) by mx.example.com (8.17.1/8.17.1) with ESMTPS id 5ABC (version=TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256 verify=NOT) for <p@example.com>",
      "192.0.2.9",
      true,
    ],
    ["sendmail", "(from relay.example [192.0.2.9]) by mx.example.com (8.17.1/8.17.1) with SMTP id 5ABC for <p@example.com>", "192.0.2.9", undefined],
    [
      "exchange",
      "from relay.example (192.0.2.10) by mx.example.com (10.0.0.2) with Microsoft SMTP Server (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id 15.2.1118.40",
      "192.0.2.10",
      true,
    ],
    [
      "stalwart",
      "from relay.example (relay.example [192.0.2.11]) (using TLSv1.3 with cipher TLS13_AES_256_GCM_SHA384) by mx.example.com (Stalwart SMTP) with ESMTPS id 0A1B2C3D4E; ",
      "192.0.2.11",
      true,
    ],
  ];
  for (const [mta, value, ip, tls] of cases) {
    const v = readMessage(block(value), under(mta));
    assert.equal(v.ip.ip, ip, `${mta}: ${JSON.stringify(v.ip)}`);
    assert.equal(v.entryTls?.tls, tls, mta);
    assert.equal(v.entry?.mta, mta);
  }
});

test("local submission hops of each MTA are delivery, not the entry", () => {
  assert.equal(parseHop("by mx.example.com (Postfix, from userid 0) id 4AB", 0).kind, "delivery");
  assert.equal(parseHop("from root by mx.example.com with local (Exim 4.96) (envelope-from <root@mx>) id 1t", 0, "exim").kind, "delivery");
  assert.equal(parseHop("(from root@localhost) by mx.example.com (8.17.1/8.17.1/Submit) id 5AB", 0, "sendmail").kind, "delivery");
  assert.equal(parseHop("from mx.example.com (mx.example.com [local]) by mx.example.com (OpenSMTPD) with ESMTPA id 1a2b3c4d", 0, "opensmtpd").kind, "delivery");
});
