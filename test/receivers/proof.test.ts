// What a fetched message offers as proof of being the probe's own: the token header's exact value
// (headers as servers send them, CRLF), the subject's token word, the From address.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { FetchMessageObject } from "imapflow";
import { proofOf } from "../../src/receivers/imap-cleanup.js";
import { provenOwn } from "../../src/receivers/session.js";

const token = "mp1.mifqk2a0.AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB";
const msg = (headers: string, subject: string, from = "Probe@Sender.lab.test") =>
  ({ uid: 1, seq: 1, headers: Buffer.from(headers), envelope: { subject, from: [{ address: from }] } }) as unknown as FetchMessageObject;

test("the token header is read exactly from CRLF headers; the subject's token only as a whole word", () => {
  const p = proofOf(msg(`X-Mailprobe-Token: ${token}\r\n\r\n`, `mailprobe inbound ${token}`));
  assert.equal(p.tokenHeader, token);
  assert.equal(p.subjectToken, token);
  assert.equal(p.from, "probe@sender.lab.test");
  assert.equal(proofOf(msg(`x-mailprobe-token:${token}  \r\n\r\n`, "")).tokenHeader, token);
  // Folded, as nodemailer and Brevo write a long header.
  assert.equal(proofOf(msg(`X-Mailprobe-Token:\r\n ${token}\r\n\r\n`, "")).tokenHeader, token);
  // Present but not our token alone: the whole value is the header's word (it proves nothing).
  assert.equal(proofOf(msg(`X-Mailprobe-Token: ${token} extra\r\n\r\n`, "")).tokenHeader, `${token} extra`);
  // A longer word is another token, never a substring match of ours.
  assert.notEqual(proofOf(msg("\r\n", `re: mailprobe inbound ${token}x`)).subjectToken, token);
  assert.equal(proofOf(msg("\r\n", `re: mailprobe inbound x${token}`)).subjectToken, undefined);
});

test("provenOwn: the exact token (header first) and the configured sender, both required", () => {
  const own = proofOf(msg(`X-Mailprobe-Token: ${token}\r\n\r\n`, `mailprobe inbound ${token}`));
  const base = { uid: 1, seenAtMs: 0, headers: Buffer.alloc(0), mailbox: "Junk" };
  assert.equal(provenOwn({ ...base, ...own }, token, "probe@sender.lab.test"), true);
  assert.equal(provenOwn({ ...base, ...own }, token, "other@sender.lab.test"), false);
  assert.equal(provenOwn({ ...base, ...own }, token.replace(/B$/, "C"), "probe@sender.lab.test"), false);
  // A header naming another token is not outvoted by the subject.
  const mixed = proofOf(msg(`X-Mailprobe-Token: ${token.replace(/B$/, "C")}\r\n\r\n`, `mailprobe inbound ${token}`));
  assert.equal(provenOwn({ ...base, ...mixed }, token, "probe@sender.lab.test"), false);
  // A header that is present but unparseable (review 1, finding 9) is not outvoted by the subject either.
  for (const value of [`foo (${token})`, `${token} trailing`, "", `<${token}>`]) {
    const garbled = proofOf(msg(`X-Mailprobe-Token: ${value}\r\n\r\n`, `mailprobe inbound ${token}`));
    assert.equal(provenOwn({ ...base, ...garbled }, token, "probe@sender.lab.test"), false, JSON.stringify(value));
  }
  // The header dropped by a relay: the subject's exact token word stands in.
  const noHeader = proofOf(msg("\r\n", `mailprobe inbound ${token}`));
  assert.equal(provenOwn({ ...base, ...noHeader }, token, "probe@sender.lab.test"), true);
});
