// The roundtrip in stages (pure): the `mx` stage comes from the entry hop's Received date, which has a
// 1 s resolution, so it is clamped: never above the whole roundtrip (`seen`), never negative.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readMessage } from "../../src/checks/message.js";
import type { ResolvedProbe } from "../../src/config/load.js";
import { stagesOf } from "../../src/probe/stages.js";

const probe = {
  received: { mxHosts: ["mx.lab.test"], forbiddenCidrs: [], expectedCidrs: [], internalCidrs: [], requireTls: false },
} as unknown as ResolvedProbe;
const send = { type: "smtp", ok: true, seconds: 0.05, attempts: 1, notes: [] };
const headers = (date: string) =>
  Buffer.from(`Received: from relay.lab.test (unknown [127.0.0.42]) by mx.lab.test (Postfix) with ESMTP id ABC for <probe@lab.test>; ${date}\r\n\r\n`);

test("mx: a Received date truncated to the second before the send started does not make mx exceed seen", () => {
  // Sent at 20:00:00.700, the MX stamped 20:00:00 (truncated), seen at 20:00:01.000: the roundtrip is 0.3 s.
  const sendStartMs = Date.parse("2026-11-25T20:00:00.700Z");
  const found = { uid: 1, seenAtMs: sendStartMs + 300, headers: headers("Wed, 25 Nov 2026 20:00:00 +0000"), mailbox: "INBOX" };
  const s = stagesOf(found, { probe, send, sendStartMs, mxMs: readMessage(found.headers, probe.received!).hopDateMs });
  assert.equal(s.seen, 0.3);
  assert.ok(s.mx !== undefined && s.mx <= s.seen, `mx ${s.mx} must not exceed seen ${s.seen}`);
  assert.equal(s.mx, 0.3);
});

test("mx: a Received date after the message was seen (clock skew) gives 0, never a negative stage", () => {
  const sendStartMs = Date.parse("2026-11-25T20:00:00.000Z");
  const found = { uid: 1, seenAtMs: sendStartMs + 400, headers: headers("Wed, 25 Nov 2026 20:00:05 +0000"), mailbox: "INBOX" };
  const s = stagesOf(found, { probe, send, sendStartMs, mxMs: readMessage(found.headers, probe.received!).hopDateMs });
  assert.equal(s.mx, 0);
});

test("mx: an ordinary hop within the roundtrip is seen minus the Received date", () => {
  const sendStartMs = Date.parse("2026-11-25T20:00:00.000Z");
  const found = { uid: 1, seenAtMs: sendStartMs + 2500, headers: headers("Wed, 25 Nov 2026 20:00:02 +0000"), mailbox: "INBOX" };
  const s = stagesOf(found, { probe, send, sendStartMs, mxMs: readMessage(found.headers, probe.received!).hopDateMs });
  assert.equal(s.seen, 2.5);
  assert.equal(s.mx, 0.5);
});
