// PROXY protocol v2 header bytes against HAProxy's specification (doc/proxy-protocol.txt, 2.2):
// the expected arrays are written out by hand from the spec's layout, not produced by the code.
import assert from "node:assert/strict";
import { test } from "node:test";
import { proxyV2Header } from "../../src/net/proxy-v2.js";

// "\x0D\x0A\x0D\x0A\x00\x0D\x0A\x51\x55\x49\x54\x0A" (spec 2.2, the 12-byte signature)
const SIG = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];

test("IPv4: version 2 + PROXY (0x21), AF_INET + STREAM (0x11), length 12, src addr, dst addr, src port, dst port", () => {
  const got = proxyV2Header({ sourceAddress: "203.0.113.7", sourcePort: 40000, destAddress: "192.0.2.25", destPort: 25 });
  const want = Buffer.from([
    ...SIG,
    0x21, // 13th byte: version 2 (high nibble), command PROXY (low nibble 1)
    0x11, // 14th byte: AF_INET (1) << 4 | STREAM (1)
    0x00,
    0x0c, // 15th-16th: address length 12, network byte order
    203,
    0,
    113,
    7, // src_addr
    192,
    0,
    2,
    25, // dst_addr
    0x9c,
    0x40, // src_port 40000
    0x00,
    0x19, // dst_port 25
  ]);
  assert.deepEqual([...got], [...want]);
});

test("IPv6: AF_INET6 + STREAM (0x21), length 36, 16-byte addresses, then the ports", () => {
  const got = proxyV2Header({ sourceAddress: "2001:db8::7", sourcePort: 443, destAddress: "2001:db8::1:25", destPort: 993 });
  const want = Buffer.from([
    ...SIG,
    0x21,
    0x21, // AF_INET6 (2) << 4 | STREAM (1)
    0x00,
    0x24, // 36
    0x20,
    0x01,
    0x0d,
    0xb8,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0x00,
    0x07, // 2001:db8::7
    0x20,
    0x01,
    0x0d,
    0xb8,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    0x00,
    0x01,
    0x00,
    0x25, // 2001:db8::1:25
    0x01,
    0xbb, // 443
    0x03,
    0xe1, // 993
  ]);
  assert.deepEqual([...got], [...want]);
});

test("mixed families: the IPv4 side is sent IPv4-mapped in an IPv6 header", () => {
  const got = proxyV2Header({ sourceAddress: "198.51.100.1", sourcePort: 1, destAddress: "::1", destPort: 2 });
  assert.equal(got[13], 0x21);
  assert.deepEqual([...got.subarray(16, 32)], [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 1]);
});
