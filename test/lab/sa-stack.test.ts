// The SpamAssassin stack behind the lab's Postfix (stack=spamassassin, test/lab/sa-stack.ts): what
// OpenDKIM, OpenDMARC, policyd-spf and spamass-milter write, and where, for a Brevo delivery; and Sieve
// filing SpamAssassin's spam into Junk. Real daemons, the lab's unbound, the fake Brevo's real signature.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { uniqueToken } from "../helpers/lab.js";
import { DEFAULT_STATE, set } from "./lab.js";
import { headerFields, sendGtube, sendViaBrevo, waitForStored } from "./mx.js";

before(() => set({ ...DEFAULT_STATE, stack: "spamassassin" }));
after(() => set({ ...DEFAULT_STATE }));

test("Brevo delivery: DKIM and DMARC pass in two A-R headers of mx.lab.test, SPF in Received-SPF above Postfix's Received", async () => {
  const subject = uniqueToken();
  await sendViaBrevo(subject);
  const { mailbox, headers } = await waitForStored(subject);
  assert.equal(mailbox, "INBOX");
  const fields = headerFields(headers);
  const ars = fields.filter(([n, v]) => n === "authentication-results" && v.startsWith("mx.lab.test;")).map(([, v]) => v);
  assert.ok(
    ars.some((v) => /\bdkim=pass\b.*header\.d=sender\.lab\.test/.test(v)),
    ars.join("\n"),
  );
  assert.ok(
    ars.some((v) => /\bdmarc=pass\b.*header\.from=sender\.lab\.test/.test(v)),
    ars.join("\n"),
  );
  const entry = fields.findIndex(([n, v]) => n === "received" && / by mx\.lab\.test \(Postfix\)/.test(v));
  // The policy service's header sits directly above Postfix's own Received; the milters' A-R above it.
  assert.equal(fields[entry - 1]?.[0], "received-spf", fields.map(([n]) => n).join(", "));
  assert.match(fields[entry - 1]![1], /^Pass \(mailfrom\) identity=mailfrom; client-ip=127\.0\.0\.42;/);
  assert.match(fields.find(([n]) => n === "x-spam-status")?.[1] ?? "", /^No, score=/);
});

test("SpamAssassin's GTUBE: X-Spam-Flag: YES, filed into Junk by Sieve", async () => {
  const subject = uniqueToken();
  await sendGtube(subject);
  const { mailbox, headers } = await waitForStored(subject);
  assert.equal(mailbox, "Junk");
  assert.equal(headerFields(headers).find(([n]) => n === "x-spam-flag")?.[1], "YES");
});
