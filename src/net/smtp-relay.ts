// The relay check of one SMTP entry point: unauthenticated EHLO, (STARTTLS,) MAIL FROM, RCPT TO a
// foreign domain, QUIT. The RCPT must be refused; DATA is never sent. The certificate the listener
// served is read on the way (doctor, mailprobe_smtp_tls_cert_expiry_timestamp_seconds).
//
// A small client of our own on node:net/tls rather than nodemailer's SMTPConnection: its public
// `send()` goes on to DATA as soon as one recipient is accepted — exactly the open-relay case, in
// which we must stop — and it has no public MAIL/RCPT-only call.
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { errText } from "../core/errors.js";
import type { RelayResult } from "../core/result.js";
import type { CertTarget } from "../core/sender.js";
import { connectWithProxyHeader, whenConnected } from "./proxy-v2.js";

/** A listener whose certificate is read (EHLO, STARTTLS, EHLO, QUIT; no MAIL at all), named. */
export interface NamedCertTarget extends CertTarget {
  name: string;
}

/** A listener to check: a sender's certificate target, named, possibly without TLS, with a foreign recipient. */
export interface RelayTarget extends Omit<CertTarget, "security"> {
  name: string;
  security: CertTarget["security"] | "none";
  rcptTo: string;
}

/** What reading a listener's certificate found: its expiry, or why it could not be read. */
export interface CertReading {
  certNotAfter?: string;
  /** Why the TLS handshake failed (expired, untrusted, wrong name), when it did. */
  tlsError?: string;
  /** Why the dialogue failed before or after the handshake, when it did. */
  error?: string;
}

interface Reply {
  code: number;
  text: string;
}

/** The longest SMTP reply read (a multi-line EHLO answer is well under 4 KiB). */
const REPLY_CAP = 64 * 1024;

/** Reads SMTP replies (multi-line `250-…` then `250 …`) from a socket, one at a time. */
function replyReader(sock: Socket) {
  let buf = "";
  const sockets = new Set<Socket>();
  let waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void } | undefined;
  let failed: Error | undefined;
  const pump = () => {
    const m = /^((?:\d{3}-[^\r\n]*\r?\n)*)(\d{3})(?: ([^\r\n]*))?\r?\n/.exec(buf);
    if (!m || !waiting) return;
    buf = buf.slice(m[0].length);
    const w = waiting;
    waiting = undefined;
    w.resolve({ code: Number(m[2]), text: `${m[1]!.replace(/\r?\n/g, " ")}${m[2]} ${m[3] ?? ""}`.trim() });
  };
  const onData = (d: Buffer) => {
    buf += d.toString("latin1");
    pump();
    // Whatever is left is one unfinished reply: no SMTP server writes one this long (lines ≤ 512 octets).
    if (buf.length > REPLY_CAP && !failed) {
      onEnd(new Error(`a reply longer than ${REPLY_CAP} bytes: not an SMTP server`));
      sockets.forEach((s) => s.destroy());
    }
  };
  const onEnd = (err?: Error) => {
    failed = err ?? new Error(`connection closed${buf ? ` after "${buf.trim().slice(0, 80)}"` : ""}`);
    waiting?.reject(failed);
    waiting = undefined;
  };
  const attach = (s: Socket) => {
    sockets.add(s);
    s.on("data", onData);
    s.once("error", onEnd);
    s.once("close", () => onEnd());
  };
  attach(sock);
  return {
    attach,
    detach(s: Socket) {
      s.off("data", onData);
      s.removeAllListeners("error");
      s.removeAllListeners("close");
    },
    next(): Promise<Reply> {
      if (failed) return Promise.reject(failed);
      return new Promise((resolve, reject) => {
        waiting = { resolve, reject };
        pump();
      });
    },
  };
}

/** The connection, created under the check's deadline: an abort destroys it while the connect is still pending. */
function openSocket(t: RelayTarget, signal: AbortSignal): Promise<Socket> {
  const bound = { host: t.host, port: t.port, timeoutMs: t.timeoutMs, protocol: "SMTP" as const, signal };
  if (t.proxyProtocol) return connectWithProxyHeader({ ...bound, ...t.proxyProtocol });
  return whenConnected(netConnect({ host: t.host, port: t.port, localAddress: t.localAddress }), bound);
}

/** A failed TLS handshake (expired, untrusted, wrong name, not TLS at all): its reason is reported as such. */
export class TlsHandshakeError extends Error {
  constructor(readonly reason: string) {
    super(`TLS handshake failed: ${reason}`);
  }
}

function startTls(sock: Socket, t: Pick<RelayTarget, "servername" | "ca">): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ socket: sock, servername: t.servername, ...(t.ca ? { ca: t.ca } : {}) }, () => resolve(s));
    s.once("error", (e) => reject(new TlsHandshakeError(errText(e))));
  });
}

/** The dialogue ends without a network fault (STARTTLS not offered): its text is the whole detail. */
class DialogueEnd extends Error {}

type SmtpCommand = (line: string | undefined, want: (code: number) => boolean, what: string) => Promise<Reply>;

/** An open SMTP dialogue after EHLO (and STARTTLS, EHLO when asked): `cmd` sends a line and reads the reply. */
interface Dialogue {
  cmd: SmtpCommand;
  certNotAfter?: string;
  quit(): void;
}

/**
 * Connects, greets, reads the certificate, runs `act` on the dialogue and always closes the socket.
 * Never throws: a failure to talk comes back as `failed` with its text (a TLS handshake's reason apart).
 */
async function withDialogue<T>(
  t: Omit<RelayTarget, "rcptTo" | "mailFrom">,
  signal: AbortSignal,
  act: (d: Dialogue) => Promise<T>,
): Promise<{ value?: T; failed?: string; tlsError?: string; certNotAfter?: string }> {
  let sock: Socket | undefined;
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(t.timeoutMs)]);
  const onAbort = () => sock?.destroy(new Error(`timed out after ${t.timeoutMs / 1000} s`));
  deadline.addEventListener("abort", onAbort);
  const d: Dialogue = { cmd: () => Promise.reject(new Error("not connected")), quit: () => sock?.write("QUIT\r\n") };
  const readCert = () => {
    const c = (sock as TLSSocket).getPeerCertificate?.();
    if (c?.valid_to) d.certNotAfter = new Date(c.valid_to).toISOString();
  };
  try {
    sock = await openSocket(t as RelayTarget, deadline);
    if (deadline.aborted) onAbort();
    if (t.security === "tls") sock = await startTls(sock, t);
    let reader = replyReader(sock);
    d.cmd = async (line, want, what) => {
      if (line !== undefined) sock!.write(`${line}\r\n`);
      const r = await reader.next();
      if (!want(r.code)) throw new Error(`${what}: ${r.text}`);
      return r;
    };
    await d.cmd(undefined, (c) => c === 220, "greeting");
    const ehlo = await d.cmd(`EHLO ${t.heloName}`, (c) => c === 250, "EHLO");
    if (t.security === "tls") readCert();
    if (t.security === "starttls") {
      if (!/\bSTARTTLS\b/i.test(ehlo.text)) throw new DialogueEnd(`STARTTLS not offered (security: starttls): ${ehlo.text.slice(0, 120)}`);
      await d.cmd("STARTTLS", (c) => c === 220, "STARTTLS");
      reader.detach(sock);
      sock = await startTls(sock, t);
      reader = replyReader(sock);
      readCert();
      await d.cmd(`EHLO ${t.heloName}`, (c) => c === 250, "EHLO after STARTTLS");
    }
    return { value: await act(d), certNotAfter: d.certNotAfter };
  } catch (err) {
    const timedOut = deadline.aborted && !signal.aborted;
    const text = timedOut ? `timed out after ${t.timeoutMs / 1000} s` : errText(err);
    const tlsError = err instanceof TlsHandshakeError && !timedOut ? err.reason : undefined;
    const failed = err instanceof DialogueEnd ? text : `${t.host}:${t.port}: ${text}`;
    return { failed, certNotAfter: d.certNotAfter, ...(tlsError ? { tlsError } : {}) };
  } finally {
    deadline.removeEventListener("abort", onAbort);
    sock?.end();
    setTimeout(() => sock?.destroy(), 1000).unref();
  }
}

/** Reads the certificate a listener serves (EHLO, STARTTLS when asked, EHLO, QUIT; no MAIL). Never throws. */
export async function readCertificate(t: NamedCertTarget, signal: AbortSignal): Promise<CertReading> {
  const r = await withDialogue(t, signal, async (d) => d.quit());
  return {
    ...(r.certNotAfter ? { certNotAfter: r.certNotAfter } : {}),
    ...(r.tlsError ? { tlsError: r.tlsError } : {}),
    ...(r.failed ? { error: r.failed } : {}),
  };
}

/** The MAIL and RCPT steps: the state and the server's words. */
async function askToRelay(d: Dialogue, t: RelayTarget): Promise<{ state: RelayResult["state"]; detail: string }> {
  const mail = await d.cmd(`MAIL FROM:<${t.mailFrom}>`, () => true, "MAIL");
  if (mail.code >= 400) {
    // The RCPT to a foreign domain was never tried: inconclusive, not healthy.
    d.quit();
    return { state: "inconclusive", detail: `MAIL FROM refused, RCPT never tried: ${mail.text}` };
  }
  const rcpt = await d.cmd(`RCPT TO:<${t.rcptTo}>`, () => true, "RCPT");
  // Never DATA: an accepted RCPT is the finding itself.
  d.quit();
  if (rcpt.code >= 200 && rcpt.code < 300) return { state: "open", detail: `RCPT TO:<${t.rcptTo}> accepted without authentication: ${rcpt.text}` };
  // A 4xx (greylisting, postscreen's 450, a busy server) says nothing about relaying: only a 5xx is a refusal.
  if (rcpt.code >= 400 && rcpt.code < 500) return { state: "inconclusive", detail: `RCPT deferred (${rcpt.code}), relaying not tested: ${rcpt.text}` };
  return { state: "refused", detail: rcpt.text };
}

/**
 * Runs the relay check; never throws (the failure convention in core/errors.ts, kind 1): a failure to
 * talk is state `error`, with `tlsError` when the handshake failed.
 */
export async function checkRelay(t: RelayTarget, signal: AbortSignal): Promise<RelayResult> {
  const r = await withDialogue(t, signal, (d) => askToRelay(d, t));
  const cert = r.certNotAfter ? { certNotAfter: r.certNotAfter } : {};
  if (r.value) return { entry: t.name, ...r.value, ...cert };
  return { entry: t.name, state: "error", detail: r.failed ?? "", ...cert, ...(r.tlsError ? { tlsError: r.tlsError } : {}) };
}
