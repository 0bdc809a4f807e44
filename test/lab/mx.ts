// What the MX made of a message: deliveries along the probe's routes and the header block Dovecot
// stored, from INBOX or Junk. Shared by the lab's tests (mx.test.ts, egress.test.ts) and by
// capture-fixtures.ts, which saves those header blocks as the product's parser fixtures.
import { connect } from "node:net";
import nodemailer from "nodemailer";
import { fakeBrevo, imapClient } from "../helpers/lab.js";
import { accounts, addr, brevo, port } from "./topology.js";

/** Sends through the fake Brevo (DKIM-signed, relayed from the relay address into HAProxy), as the probe's Brevo route does. */
export async function sendViaBrevo(subject: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fakeBrevo("/v3/smtp/email", {
    method: "POST",
    headers: { "api-key": brevo.apiKey, "content-type": "application/json" },
    body: JSON.stringify({
      sender: { email: brevo.sender, name: "mailprobe" },
      to: [{ email: accounts.probe.user }],
      subject,
      textContent: `mailprobe lab delivery ${subject}\n`,
      headers: { "X-Mailprobe-Token": subject, ...headers },
    }),
  });
  if (res.status !== 201) throw new Error(`fake Brevo answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { messageId: string }).messageId;
}

/**
 * Sends a message that Rspamd's stock rules score above the add-header threshold (6): no Message-ID,
 * no To, a Date two days ahead, HTML only, a link to an IP address. Nothing in the lab's config names it; the sender's
 * SPF and DMARC pass, so only content and form make it spam. Into HAProxy from the relay address.
 */
export async function sendSpam(subject: string, headers: Record<string, string> = {}): Promise<void> {
  const t = nodemailer.createTransport({
    host: addr.listen,
    port: port.extSmtp,
    name: brevo.relayHelo,
    localAddress: addr.brevoRelay,
    tls: { rejectUnauthorized: false },
    connectionTimeout: 10_000,
  });
  const raw = [
    `From: "WINNER" <promo@sender.lab.test>`,
    `Date: ${new Date(Date.now() + 2 * 86400_000).toUTCString().replace("GMT", "+0000")}`,
    `Subject: ${subject} FREE MONEY!!! ACT NOW`,
    "MIME-Version: 1.0",
    "Content-Type: text/html; charset=utf-8",
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
    "",
    `<html><body><a href="http://192.0.2.1/claim">http://www.paypal.com/claim</a> You have WON. Click here to claim your prize now!!!</body></html>`,
    "",
  ].join("\r\n");
  try {
    await t.sendMail({ envelope: { from: "promo@sender.lab.test", to: accounts.probe.user }, raw });
  } finally {
    t.close();
  }
}

/**
 * Sends a plain message into HAProxy from the relay address with the HELO name a client chose (e.g. an
 * address literal) and any header lines the sender writes (e.g. a forged Received naming our MX): what a
 * spammer or a broken relay controls, and nothing else.
 */
export async function sendAs(subject: string, opts: { helo: string; headers?: string[]; body?: string }): Promise<void> {
  const t = nodemailer.createTransport({
    host: addr.listen,
    port: port.extSmtp,
    name: opts.helo,
    localAddress: addr.brevoRelay,
    tls: { rejectUnauthorized: false },
    connectionTimeout: 10_000,
  });
  const raw = [
    ...(opts.headers ?? []),
    `From: mailprobe <${brevo.sender}>`,
    `To: ${accounts.probe.user}`,
    `Subject: ${subject}`,
    `Message-ID: <${subject}@sender.lab.test>`,
    `Date: ${new Date().toUTCString().replace("GMT", "+0000")}`,
    `X-Mailprobe-Token: ${subject}`,
    "",
    opts.body ?? `mailprobe lab delivery ${subject}`,
    "",
  ].join("\r\n");
  try {
    await t.sendMail({ envelope: { from: `bounces@${brevo.bounceDomain}`, to: accounts.probe.user }, raw });
  } finally {
    t.close();
  }
}

/**
 * SpamAssassin's own test message (GTUBE, its documented end-to-end check): spam to SpamAssassin whatever
 * else the message is. The stock-rule spam of sendSpam scores only ~3.4 there, because SpamAssassin always
 * trusts 127.0.0.0/8 (ALL_TRUSTED) and the lab's clients all live on loopback.
 */
export function sendGtube(subject: string): Promise<void> {
  return sendAs(subject, { helo: brevo.relayHelo, body: "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X" });
}

/** A Received line as Postfix would write it for Brevo's relay into our MX, but written by the sender. */
export function forgedReceived(): string {
  return `Received: from ${brevo.relayHelo} (${brevo.relayHelo} [${addr.brevoRelay}]) by mx.lab.test (Postfix) with ESMTPS id 4FORGED0001 for <${accounts.probe.user}>; ${new Date().toUTCString()}`;
}

export interface Stored {
  mailbox: "INBOX" | "Junk";
  /** The header block as Dovecot stored it (CRLF line ends, ending with the empty line). */
  headers: string;
}

/** Polls INBOX and Junk for the message whose subject contains `needle`. */
export async function waitForStored(needle: string, timeoutMs = 20_000): Promise<Stored> {
  const client = imapClient(port.imapsStock);
  await client.connect();
  try {
    const end = Date.now() + timeoutMs;
    for (;;) {
      for (const mailbox of ["INBOX", "Junk"] as const) {
        await client.mailboxOpen(mailbox);
        const uids = (await client.search({ subject: needle }, { uid: true })) || [];
        if (uids.length) {
          const msg = await client.fetchOne(String(uids[0]), { headers: true }, { uid: true });
          if (msg && msg.headers) return { mailbox, headers: msg.headers.toString("utf8") };
        }
      }
      if (Date.now() > end) throw new Error(`no message with subject ${needle} in INBOX or Junk after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** The header fields of a block, unfolded, in order: [name in lower case, value]. */
export function headerFields(block: string): [string, string][] {
  return block
    .replace(/\r?\n[ \t]+/g, " ")
    .split(/\r?\n/)
    .filter((l) => l.includes(":"))
    .map((l) => {
      const i = l.indexOf(":");
      return [l.slice(0, i).toLowerCase(), l.slice(i + 1).trim()];
    });
}

/** The Authentication-Results that our MX (authserv-id mx.lab.test) wrote, if any. */
export function mxAuthResults(block: string): string | undefined {
  return headerFields(block).find(([n, v]) => n === "authentication-results" && /^mx\.lab\.test\s*;/.test(v))?.[1];
}

/**
 * Asks the MX, unauthenticated, to relay to a foreign domain: EHLO, MAIL FROM, RCPT TO, QUIT. Never DATA.
 * Returns the RCPT reply (e.g. "250 2.1.5 Ok" for an open relay, "554 5.7.1 …: Relay access denied").
 */
export function relayAttempt(p: number = port.extSmtp, localAddress: string = addr.brevoRelay): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: addr.listen, port: p, localAddress });
    const say = [`EHLO ${brevo.relayHelo}`, "MAIL FROM:<someone@sender.lab.test>", "RCPT TO:<victim@example.invalid>", "QUIT"];
    const replies: string[] = [];
    let buf = "";
    s.setTimeout(15_000, () => {
      s.destroy();
      reject(new Error(`relay attempt: no answer (so far: ${replies.join(" | ")})`));
    });
    s.on("data", (d) => {
      buf += d.toString("latin1");
      // A complete reply ends with a line "NNN text" (no dash after the code).
      let m: RegExpExecArray | null;
      while ((m = /^(?:\d{3}-.*\r\n)*(\d{3} .*)\r\n/.exec(buf))) {
        replies.push(m[1]!);
        buf = buf.slice(m[0].length);
        const next = say.shift();
        if (next) s.write(`${next}\r\n`);
      }
    });
    s.on("close", () => (replies.length >= 4 ? resolve(replies[3]!) : reject(new Error(`relay attempt: closed after ${replies.join(" | ")}`))));
    s.on("error", reject);
  });
}
