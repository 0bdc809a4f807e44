// The Received parser and verdict never throw and never hang, and every verdict agrees with its own
// evidence: 100,000 generated header blocks. Then: forged by-our-MX headers below the entry hop are
// never judged.
import assert from "node:assert/strict";
import { test } from "node:test";
import ipaddr from "ipaddr.js";
import { checkReceived } from "../../src/checks/received.js";
import { rng } from "../helpers/prng.js";

/** An oracle independent of the checker: plain ipaddr.js matching, IPv4-mapped forms unmapped. */
function within(ip: string, cidrs: string[]): boolean {
  const a = ipaddr.process(ip);
  return cidrs.some((c) => {
    const [range, bits] = ipaddr.parseCIDR(c);
    const r = range.kind() === "ipv6" && (range as ipaddr.IPv6).isIPv4MappedAddress() ? (range as ipaddr.IPv6).toIPv4Address() : range;
    const b = r === range ? bits : bits - 96;
    return a.kind() === r.kind() && a.match(r, b);
  });
}

const PIECES = [
  "Received: ",
  "from ",
  "by ",
  "mx.example.com",
  "MX.EXAMPLE.COM.",
  "(Postfix)",
  "with ESMTPS",
  "with LMTP",
  "id ABC;",
  "[",
  "]",
  "(",
  ")",
  "[IPv6:",
  "2001:db8::1",
  "::ffff:10.0.0.1",
  "10.42.0.7",
  "127.0.0.1",
  "999.1.1.1",
  "0x7f.1",
  "1.2.3",
  "::",
  "fe80::1%eth0",
  "unknown",
  "localhost",
  " ",
  "\t",
  "\r\n",
  "\n",
  "\r\n ",
  "\r\n\t",
  ";",
  ":",
  "X-Injected: yes\r\n",
  "\u0000",
  "\uffff",
  "é",
  "𝕏",
  "Received:",
  "from [1.1.1.1] (x [2.2.2.2])",
  "by",
  "for <a@b>",
];

function generate(next: () => number): string | Buffer {
  const kind = next();
  if (kind < 0.15) {
    const bytes = Buffer.alloc(Math.floor(next() * 512));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
    return bytes;
  }
  if (kind < 0.2) return "Received: from a (b [" + "1".repeat(Math.floor(next() * 200_000)) + "]) by mx.example.com\r\n\r\n";
  if (kind < 0.25) return "Received: " + "(".repeat(5000) + "[".repeat(5000) + " by mx.example.com\r\n\r\n";
  if (kind < 0.6) {
    // Plausible chains with random addresses, hosts and noise spliced in.
    const pick = <T>(a: T[]) => a[Math.floor(next() * a.length)]!;
    const ip = () => pick(["10.1.2.3", "1.2.3.4", "IPv6:2001:db8::7", "IPv6:::ffff:10.9.9.9", "192.0.2.1", "300.1.1.1", "IPv6:zz::1"]);
    const host = () => pick(["mx.example.com", "a.example.com", "relay.other.net", "MX.Example.Com."]);
    const hops = Array.from(
      { length: 1 + Math.floor(next() * 5) },
      () =>
        `Received: from h${Math.floor(next() * 9)} (r [${ip()}]) by ${host()} (Postfix) with ESMTP id Q${Math.floor(next() * 1e6)}; Mon, 23 Nov 2026 15:00:00 +0000\r\n`,
    );
    let s = hops.join("");
    for (let i = Math.floor(next() * 3); i > 0; i--) {
      const at = Math.floor(next() * s.length);
      s = s.slice(0, at) + PIECES[Math.floor(next() * PIECES.length)] + s.slice(at);
    }
    return s + "\r\n";
  }
  let s = "";
  const n = 1 + Math.floor(next() * 40);
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(next() * PIECES.length)];
  return s + (next() < 0.5 ? "\r\n\r\n" : "");
}

test("100,000 generated headers: a verdict for each, no exception, bounded time per case", () => {
  const next = rng(20261123);
  const rules = {
    mxHosts: ["mx.example.com", "*.example.com"],
    forbiddenCidrs: ["10.0.0.0/8", "::ffff:0:0/96"],
    expectedCidrs: ["2001:db8::/32", "1.0.0.0/8"],
  };
  let slowest = 0;
  const reasons = new Map<string, number>();
  for (let i = 0; i < 100_000; i++) {
    const input = generate(next);
    const t = performance.now();
    const v = checkReceived(input, rules);
    slowest = Math.max(slowest, performance.now() - t);
    const label = v.ok ? "ok" : v.reason!;
    reasons.set(label, (reasons.get(label) ?? 0) + 1);
    // Every verdict agrees with its evidence, checked against the oracle above.
    if (v.reason === "real_ip_missing" || v.reason === "entry_hop_unparsed") {
      assert.equal(v.ip, undefined, `case ${i}: a missing or unread IP names none`);
      continue;
    }
    assert.ok(v.ip && ipaddr.isValid(v.ip), `case ${i}: ${label} names a valid IP (${v.ip})`);
    assert.match(v.header ?? "", /^Received: /, `case ${i}: the verdict shows the header it judged`);
    const forbidden = within(v.ip!, rules.forbiddenCidrs);
    const expected = within(v.ip!, rules.expectedCidrs);
    if (v.ok) assert.ok(!forbidden && expected, `case ${i}: ok but ${v.ip} forbidden=${forbidden} expected=${expected}`);
    else if (v.reason === "real_ip_forbidden") assert.ok(forbidden, `case ${i}: forbidden but ${v.ip} is not`);
    else if (v.reason === "real_ip_unexpected") assert.ok(!forbidden && !expected, `case ${i}: unexpected but ${v.ip} matches a rule`);
    else assert.fail(`case ${i}: unknown reason ${v.reason}`);
  }
  // The generator reaches every verdict, so the cases are not all trivially rejected.
  for (const r of ["ok", "real_ip_forbidden", "real_ip_unexpected", "real_ip_missing"]) assert.ok((reasons.get(r) ?? 0) > 0, `no ${r} case: ${[...reasons]}`);
  // A hang guard, not a speed assertion: a pathological regex would take seconds on one case.
  assert.ok(slowest < 2000, `slowest case ${slowest} ms`);
});

test("10,000 chains with forged by-our-MX headers below the entry hop: the entry hop alone is judged", () => {
  const next = rng(20261125);
  const pick = <T>(a: T[]) => a[Math.floor(next() * a.length)]!;
  const rules = { mxHosts: ["mx.example.com"], forbiddenCidrs: ["10.42.0.0/16"], expectedCidrs: ["1.179.112.0/20"], internalCidrs: ["10.50.0.0/24"] };
  // Entry clients outside the internal hops (an internal client is a local submission: nothing below it is ours).
  const clients = ["1.179.115.1", "1.179.120.9", "10.42.0.7", "203.0.113.5", "IPv6:2001:db8::9", "IPv6:::ffff:10.42.1.1"];
  const forgedIps = ["1.179.115.77", "10.42.9.9", "198.51.100.1", "IPv6:2001:db8::bad", "127.0.0.1", "10.50.0.4"];
  const hop = (ip: string, by: string, id: string) =>
    `Received: from h (r [${ip}]) by ${by} (Postfix) with ESMTP id ${id}; Mon, 23 Nov 2026 15:00:00 +0000\r\n`;
  for (let i = 0; i < 10_000; i++) {
    let top = "Received: from mx.example.com ([127.0.0.1]) by mx.example.com with LMTP id L; Mon, 23 Nov 2026 15:00:01 +0000\r\n";
    // Our own internal hops: loopback reinjection, a filter in internalCidrs.
    for (let k = Math.floor(next() * 3); k > 0; k--) top += hop(pick(["127.0.0.1", "10.50.0.3", "IPv6:::1"]), "mx.example.com", "INTERNAL");
    const client = pick(clients);
    const entry = hop(client, "mx.example.com", "ENTRY");
    let forged = "";
    for (let k = 1 + Math.floor(next() * 4); k > 0; k--)
      forged += hop(pick(forgedIps), pick(["mx.example.com", "MX.EXAMPLE.COM.", "relay.other.net"]), "FORGED");
    const honest = checkReceived(top + entry + "\r\n", rules);
    const attacked = checkReceived(top + entry + forged + "\r\n", rules);
    assert.deepEqual(attacked, honest, `case ${i}: forged headers below the entry hop changed the verdict`);
    assert.match(attacked.header ?? "", /id ENTRY/, `case ${i}: judged ${attacked.header}`);
  }
});
