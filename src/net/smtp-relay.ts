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

/** A listener to check: a sender's certificate target, named, possibly without TLS, with a foreign recipient. */
export interface RelayTarget extends Omit<CertTarget, "security"> {
  name: string;
  security: CertTarget["security"] | "none";
  /** Undefined: only read the certificate (EHLO, STARTTLS, EHLO, QUIT; no MAIL at all). */
  rcptTo?: string;
}

interface Reply {
  code: number;
  text: string;
}

/** Reads SMTP replies (multi-line `250-…` then `250 …`) from a socket, one at a time. */
function replyReader(sock: Socket) {
  let buf = "";
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
  };
  const onEnd = (err?: Error) => {
    failed = err ?? new Error(`connection closed${buf ? ` after "${buf.trim().slice(0, 80)}"` : ""}`);
    waiting?.reject(failed);
    waiting = undefined;
  };
  const attach = (s: Socket) => {
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
  if (t.proxyProtocol) return connectWithProxyHeader({ host: t.host, port: t.port, ...t.proxyProtocol, timeoutMs: t.timeoutMs, signal });
  return whenConnected(netConnect({ host: t.host, port: t.port, localAddress: t.localAddress }), { ...t, signal });
}

/** A failed TLS handshake (expired, untrusted, wrong name, not TLS at all): its reason is reported as such. */
export class TlsHandshakeError extends Error {}

function startTls(sock: Socket, t: RelayTarget): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ socket: sock, servername: t.servername, ...(t.ca ? { ca: t.ca } : {}) }, () => resolve(s));
    s.once("error", (e) => reject(new TlsHandshakeError(`TLS handshake failed: ${errText(e)}`)));
  });
}

/** Runs the check; never throws (a failure to talk is state `error`). */
export async function checkRelay(t: RelayTarget, signal: AbortSignal): Promise<RelayResult> {
  let sock: Socket | undefined;
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(t.timeoutMs)]);
  const onAbort = () => sock?.destroy(new Error(`timed out after ${t.timeoutMs / 1000} s`));
  deadline.addEventListener("abort", onAbort);
  let certNotAfter: string | undefined;
  const result = (state: RelayResult["state"], detail: string): RelayResult => ({ entry: t.name, state, detail, ...(certNotAfter ? { certNotAfter } : {}) });
  try {
    sock = await openSocket(t, deadline);
    if (deadline.aborted) onAbort();
    if (t.security === "tls") sock = await startTls(sock, t);
    let reader = replyReader(sock);
    const cmd = async (line: string | undefined, want: (code: number) => boolean, what: string): Promise<Reply> => {
      if (line !== undefined) sock!.write(`${line}\r\n`);
      const r = await reader.next();
      if (!want(r.code)) throw Object.assign(new Error(`${what}: ${r.text}`), { reply: r });
      return r;
    };
    const readCert = () => {
      const c = (sock as TLSSocket).getPeerCertificate?.();
      if (c?.valid_to) certNotAfter = new Date(c.valid_to).toISOString();
    };
    await cmd(undefined, (c) => c === 220, "greeting");
    const ehlo = await cmd(`EHLO ${t.heloName}`, (c) => c === 250, "EHLO");
    if (t.security === "tls") readCert();
    if (t.security === "starttls") {
      if (!/\bSTARTTLS\b/i.test(ehlo.text)) return result("error", `STARTTLS not offered (security: starttls): ${ehlo.text.slice(0, 120)}`);
      await cmd("STARTTLS", (c) => c === 220, "STARTTLS");
      reader.detach(sock);
      sock = await startTls(sock, t);
      reader = replyReader(sock);
      readCert();
      await cmd(`EHLO ${t.heloName}`, (c) => c === 250, "EHLO after STARTTLS");
    }
    if (t.rcptTo === undefined) {
      sock.write("QUIT\r\n");
      return result("refused", certNotAfter ? "certificate read" : "no certificate (no TLS)");
    }
    const mail = await cmd(`MAIL FROM:<${t.mailFrom}>`, () => true, "MAIL");
    if (mail.code >= 400) {
      // The RCPT to a foreign domain was never tried: inconclusive, not healthy.
      sock.write("QUIT\r\n");
      return result("error", `inconclusive: MAIL FROM refused, RCPT never tried: ${mail.text}`);
    }
    const rcpt = await cmd(`RCPT TO:<${t.rcptTo}>`, () => true, "RCPT");
    // Never DATA: an accepted RCPT is the finding itself.
    sock.write("QUIT\r\n");
    if (rcpt.code >= 200 && rcpt.code < 300) return result("open", `RCPT TO:<${t.rcptTo}> accepted without authentication: ${rcpt.text}`);
    // A 4xx (greylisting, postscreen's 450, a busy server) says nothing about relaying: only a 5xx is a refusal.
    if (rcpt.code >= 400 && rcpt.code < 500) return result("error", `inconclusive: RCPT deferred (${rcpt.code}), relaying not tested: ${rcpt.text}`);
    return result("refused", rcpt.text);
  } catch (err) {
    const text = deadline.aborted && !signal.aborted ? `timed out after ${t.timeoutMs / 1000} s` : errText(err);
    const r = result("error", `${t.host}:${t.port}: ${text}`);
    return err instanceof TlsHandshakeError && !deadline.aborted ? { ...r, tlsError: err.message.replace(/^TLS handshake failed: /, "") } : r;
  } finally {
    deadline.removeEventListener("abort", onAbort);
    sock?.end();
    setTimeout(() => sock?.destroy(), 1000).unref();
  }
}
