// Small clients of the running lab for the tests: IMAP reads, SMTP sends, lab switches.
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { ImapFlow } from "imapflow";
import nodemailer from "nodemailer";
import { set, type LabState } from "../lab/lab.js";
import { accounts, addr, mx, paths, port } from "../lab/topology.js";

export const ca = () => readFileSync(paths.caCert);

export function imapClient(p: number, account: { user: string; password: string } = accounts.probe): ImapFlow {
  return new ImapFlow({
    host: addr.listen,
    port: p,
    secure: true,
    servername: mx.hostname,
    tls: { ca: ca(), servername: mx.hostname },
    auth: { user: account.user, pass: account.password },
    logger: false,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
  } as ConstructorParameters<typeof ImapFlow>[0]);
}

/** A client of one of the lab's other IMAP stores (test/lab/stores.ts), logged in as its probe account. */
export function storeClient(s: { port: number; user: string; password: string }): ImapFlow {
  const c = imapClient(s.port, s);
  // A server that drops the connection (Courier's "Temporary problem") must fail the cell, not the process.
  c.on("error", () => undefined);
  return c;
}

export const uniqueToken = () => `lab-${randomBytes(6).toString("hex")}`;

/** Sends a plain message over SMTP from a chosen loopback address (e.g. Brevo's relay). */
export async function smtpSend(opts: {
  port: number;
  from?: string;
  localAddress?: string;
  to?: string;
  subject: string;
  headers?: Record<string, string>;
}): Promise<void> {
  const t = nodemailer.createTransport({
    host: addr.listen,
    port: opts.port,
    secure: false,
    name: "relay.brevo.lab",
    localAddress: opts.localAddress ?? addr.brevoRelay,
    tls: { ca: ca(), servername: mx.hostname },
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
  });
  try {
    await t.sendMail({
      from: opts.from ?? "someone@sender.lab.test",
      to: opts.to ?? accounts.probe.user,
      subject: opts.subject,
      text: "lab self-test\n",
      headers: opts.headers ?? {},
    });
  } finally {
    t.close();
  }
}

/** Polls the INBOX for a message whose subject contains `needle`; returns its raw header block. */
export async function waitForHeaders(needle: string, p: number = port.imapsStock, timeoutMs = 15_000): Promise<string> {
  const client = imapClient(p);
  await client.connect();
  try {
    await client.mailboxOpen("INBOX");
    const end = Date.now() + timeoutMs;
    for (;;) {
      const uids = (await client.search({ subject: needle }, { uid: true })) || [];
      if (uids.length) {
        const msg = await client.fetchOne(String(uids[0]), { headers: true }, { uid: true });
        if (msg && msg.headers) return msg.headers.toString("utf8");
      }
      if (Date.now() > end) throw new Error(`no message with subject ${needle} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
      await client.noop();
    }
  } finally {
    await client.logout().catch(() => client.close());
  }
}

/** Runs `fn` with the lab switched, and always switches back. */
export async function withLab<T>(change: Partial<LabState>, fn: () => Promise<T>): Promise<T> {
  await set(change);
  try {
    return await fn();
  } finally {
    await set({ proxy: "ok", extImaps: "up", extraImapsFrontends: 0 });
  }
}

export async function fakeBrevo(path: string, init?: RequestInit): Promise<Response> {
  return fetch(`http://${addr.listen}:${port.fakeBrevo}${path}`, init);
}

/** How many messages in the probe INBOX carry this token header. */
export async function countWithToken(token: string): Promise<number> {
  const c = imapClient(port.imapsStock);
  await c.connect();
  try {
    await c.mailboxOpen("INBOX");
    return ((await c.search({ header: { "x-mailprobe-token": token } }, { uid: true })) || []).length;
  } finally {
    await c.logout();
  }
}

const postfixDir = () => join(paths.etc, "postfix");
const execFileP = promisify(execFile);

/** The queue ids of the messages Postfix holds (the lab holds mail of probes named hold-*: postfix-main.cf). */
export async function heldMessages(): Promise<string[]> {
  const { stdout } = await execFileP("postqueue", ["-c", postfixDir(), "-j"]);
  return stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { queue_name: string; queue_id: string })
    .filter((m) => m.queue_name === "hold")
    .map((m) => m.queue_id);
}

/** Releases every held message and flushes the queue, so that it is delivered now. */
export async function releaseHeld(): Promise<void> {
  await execFileP("postsuper", ["-c", postfixDir(), "-H", "ALL"]);
  await execFileP("postqueue", ["-c", postfixDir(), "-f"]);
}
