// Regenerates test/checks/fixtures/*.eml: the header blocks Dovecot stored for one delivery in each
// state of the lab (a failed DKIM signature under the domain's p=reject may well score it into Junk: recorded, not asserted) (see test/checks/fixtures/README.md). Needs a running lab:
//   node --import tsx test/lab/cli.ts up && node --import tsx test/lab/capture-fixtures.ts [NAME-PREFIX…]
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { uniqueToken } from "../helpers/lab.js";
import { DEFAULT_STATE, set, type LabState } from "./lab.js";
import { forgedReceived, sendAs, sendGtube, sendSpam, sendViaBrevo, waitForStored } from "./mx.js";
import { addr, brevo } from "./topology.js";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "checks", "fixtures");

/** What a forger writes: our MX's authserv-id, every check passing, a harmless score. */
const forged = {
  "Authentication-Results": "mx.lab.test; spf=pass smtp.mailfrom=bounces@relay.brevo.lab; dkim=pass header.d=sender.lab.test; dmarc=pass",
  "X-Spam-Status": "No, score=-5.00",
};

const cases: { name: string; state: Partial<LabState>; send: (subject: string) => Promise<unknown>; mailbox?: "INBOX" | "Junk" }[] = [
  { name: "brevo-healthy", state: {}, send: sendViaBrevo, mailbox: "INBOX" },
  { name: "brevo-proxy-broken", state: { proxy: "broken" }, send: sendViaBrevo, mailbox: "INBOX" },
  { name: "brevo-node-range-proxy-broken", state: { proxy: "broken", trust: "node-range" }, send: sendViaBrevo, mailbox: "INBOX" },
  { name: "brevo-dkim-broken-body", state: { dkim: "broken-body" }, send: sendViaBrevo },
  { name: "brevo-dkim-wrong-key", state: { dkim: "wrong-key" }, send: sendViaBrevo },
  {
    // A sender-written Authentication-Results claiming our MX: what a forger can put below the real one.
    name: "brevo-forged-ar-proxy-broken",
    state: { proxy: "broken" },
    send: (subject) =>
      sendViaBrevo(subject, {
        "Authentication-Results": "mx.lab.test; spf=pass smtp.mailfrom=bounces@relay.brevo.lab; dkim=pass header.d=sender.lab.test; dmarc=pass",
      }),
    mailbox: "INBOX",
  },
  { name: "spam-junk", state: {}, send: sendSpam, mailbox: "Junk" },
  { name: "brevo-rspamd-down", state: { rspamd: "down" }, send: sendViaBrevo, mailbox: "INBOX" },
  // With the filter down nothing removes what the sender wrote: the forged header is all there is.
  { name: "brevo-forged-ar-rspamd-down", state: { rspamd: "down" }, send: (subject) => sendViaBrevo(subject, forged), mailbox: "INBOX" },
  // The other filter stack behind Postfix (test/lab/sa-stack.ts): OpenDKIM, OpenDMARC, spamass-milter, policyd-spf.
  { name: "sa-brevo-healthy", state: { stack: "spamassassin" }, send: sendViaBrevo, mailbox: "INBOX" },
  { name: "sa-brevo-proxy-broken", state: { stack: "spamassassin", proxy: "broken" }, send: sendViaBrevo },
  { name: "sa-brevo-dkim-broken-body", state: { stack: "spamassassin", dkim: "broken-body" }, send: sendViaBrevo },
  { name: "sa-forged-ar-proxy-broken", state: { stack: "spamassassin", proxy: "broken" }, send: (subject) => sendViaBrevo(subject, forged) },
  { name: "sa-gtube-junk", state: { stack: "spamassassin" }, send: sendGtube, mailbox: "Junk" },
  // The alternative MXs (test/lab/mtas.ts), no filter: their own Received lines, as each writes them.
  ...(["exim", "opensmtpd"] as const).flatMap((mta) => [
    { name: `${mta}-brevo-healthy`, state: { mta }, send: sendViaBrevo, mailbox: "INBOX" as const },
    { name: `${mta}-brevo-proxy-broken`, state: { mta, proxy: "broken" as const }, send: sendViaBrevo, mailbox: "INBOX" as const },
    // The client announces Brevo's relay address as its HELO literal while the MX sees the SNAT address.
    { name: `${mta}-helo-literal-proxy-broken`, state: { mta, proxy: "broken" as const }, send: (s: string) => sendAs(s, { helo: `[${addr.brevoRelay}]` }) },
    // The sender writes a Postfix-style Received naming our MX and Brevo's relay below the real entry hop.
    {
      name: `${mta}-forged-received-proxy-broken`,
      state: { mta, proxy: "broken" as const },
      send: (s: string) => sendAs(s, { helo: brevo.relayHelo, headers: [forgedReceived()] }),
    },
  ]),
];

async function main(): Promise<void> {
  try {
    const only = process.argv.slice(2);
    for (const c of cases.filter((k) => only.length === 0 || only.some((o) => k.name.startsWith(o)))) {
      await set({ ...DEFAULT_STATE, ...c.state });
      const subject = uniqueToken();
      await c.send(subject);
      const stored = await waitForStored(subject);
      if (c.mailbox && stored.mailbox !== c.mailbox) throw new Error(`${c.name}: landed in ${stored.mailbox}, expected ${c.mailbox}`);
      writeFileSync(join(out, `${c.name}.eml`), stored.headers);
      console.log(`${c.name}.eml (${stored.mailbox})`);
    }
  } finally {
    await set({ ...DEFAULT_STATE });
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
