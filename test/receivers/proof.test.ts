// What a fetched message offers as proof of being the probe's own: the token header's exact value
// (headers as servers send them, CRLF), the subject exactly as mailprobe wrote it, the From address.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { FetchMessageObject } from "imapflow";
import { evidenceOf } from "../../src/receivers/imap-cleanup.js";
import { provenOwn } from "../../src/receivers/session.js";

const token = "mp1.mifqk2a0.AAAAAAAAAAAAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBB";
const msg = (headers: string, subject: string, from = "Probe@Sender.lab.test") =>
  ({ uid: 1, seq: 1, headers: Buffer.from(headers), envelope: { subject, from: [{ address: from }] } }) as unknown as FetchMessageObject;
const own = { token, from: "probe@sender.lab.test", probeName: "inbound" };

test("the token header is read exactly from CRLF headers, folded or not; the From lower-cased", () => {
  const p = evidenceOf(msg(`X-Mailprobe-Token: ${token}\r\n\r\n`, `mailprobe inbound ${token}`), "INBOX");
  assert.equal(p.tokenHeader, token);
  assert.equal(p.subject, `mailprobe inbound ${token}`);
  assert.equal(p.from, "probe@sender.lab.test");
  assert.equal(evidenceOf(msg(`x-mailprobe-token:${token}  \r\n\r\n`, ""), "INBOX").tokenHeader, token);
  // Folded, as nodemailer and Brevo write a long header.
  assert.equal(evidenceOf(msg(`X-Mailprobe-Token:\r\n ${token}\r\n\r\n`, ""), "INBOX").tokenHeader, token);
  // Present but not our token alone: the whole value is the header's word (it proves nothing).
  assert.equal(evidenceOf(msg(`X-Mailprobe-Token: ${token} extra\r\n\r\n`, ""), "INBOX").tokenHeader, `${token} extra`);
});

test("provenOwn: the exact token (header first) and the configured sender, both required", () => {
  const base = { uid: 1, seenAtMs: 0, headers: Buffer.alloc(0) };
  const found = (h: string, s: string, from?: string) => ({ ...base, ...evidenceOf(msg(h, s, from), "Junk") });
  const ownMsg = found(`X-Mailprobe-Token: ${token}\r\n\r\n`, `mailprobe inbound ${token}`);
  assert.equal(provenOwn(ownMsg, own), true);
  assert.equal(provenOwn(ownMsg, { ...own, from: "other@sender.lab.test" }), false);
  assert.equal(provenOwn(ownMsg, { ...own, token: token.replace(/B$/, "C") }), false);
  // A header naming another token is not outvoted by the subject.
  assert.equal(provenOwn(found(`X-Mailprobe-Token: ${token.replace(/B$/, "C")}\r\n\r\n`, `mailprobe inbound ${token}`), own), false);
  // A header that is present but unparseable (review 1, finding 9) is not outvoted by the subject either.
  for (const value of [`foo (${token})`, `${token} trailing`, "", `<${token}>`]) {
    assert.equal(provenOwn(found(`X-Mailprobe-Token: ${value}\r\n\r\n`, `mailprobe inbound ${token}`), own), false, JSON.stringify(value));
  }
  // The header dropped by a relay: the subject exactly as mailprobe wrote it stands in…
  assert.equal(provenOwn(found("\r\n", `mailprobe inbound ${token}`), own), true);
  // …never a token word inside another subject (issue 18, item 2: a reply from the probe account).
  for (const s of [
    `Re: mailprobe inbound ${token}`,
    `Fwd: mailprobe inbound ${token}`,
    `mailprobe inbound ${token} (digest)`,
    `mailprobe other ${token}`,
    `mailprobe inbound  ${token}`,
  ]) {
    assert.equal(provenOwn(found("\r\n", s), own), false, s);
  }
});
