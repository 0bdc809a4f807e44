// SMTP submission through nodemailer, for routes that submit directly (e.g. the in-cluster port).
// With `proxyProtocol`, the connection starts with a PROXY v2 header (nodemailer's getSocket), so a
// mailserver's alternate listener can be tested without HAProxy.
import { connect as netConnect, type Socket } from "node:net";
// nodemailer's Mail over its SMTP transport, as createTransport builds it for SMTP options: its
// index imports every transport (sendmail's loads child_process and dgram, ~4.5 ms of each run).
import Mail from "nodemailer/lib/mailer";
import SMTPTransport from "nodemailer/lib/smtp-transport";
import { connectWithProxyHeader, whenConnected } from "../../net/proxy-v2.js";
import { raceSignal, sendCutOff } from "../../core/deadline.js";
import { errnoOf, isTlsError } from "../../core/errors.js";
import { authAnswer } from "../../core/peer-text.js";
import type { Reason } from "../../core/reasons.js";
import type { OutgoingMessage, SendOutcome, Sender } from "../../core/sender.js";
import type { SmtpConfig } from "./index.js";

interface SmtpErrorLike {
  code?: string;
  responseCode?: number;
  response?: string;
  message?: string;
}

/** Maps a nodemailer error to a reason of the catalogue. */
export function classifySmtpError(err: SmtpErrorLike): { reason: Reason; detail: string } {
  // The answer to AUTH (it carried the password): only its status is shown (peer-text.ts).
  if (err.code === "EAUTH") return { reason: "send_rejected", detail: authAnswer("SMTP AUTH", err.responseCode ?? "refused") };
  const detail = `SMTP: ${err.response ?? err.message ?? String(err)}`.replace(/\s+/g, " ").trim();
  if (err.responseCode !== undefined && err.responseCode >= 500) return { reason: "send_rejected", detail };
  const errno = errnoOf(err);
  if (errno === "ETIMEDOUT" || errno === "CONNECT_TIMEOUT" || /timeout|timed out/i.test(err.message ?? "")) return { reason: "send_timeout", detail };
  if (isTlsError(err)) return { reason: "send_failed", detail: `${detail} (TLS: configure caFile/servername)` };
  return { reason: "send_failed", detail };
}

/**
 * Every connection is ours (nodemailer's getSocket), created under the signal of the call that
 * needs it and destroyed when that signal aborts, in whatever state it is: nodemailer's close()
 * would leave an in-flight sendMail's socket to its own timeouts (issue 18: one deadline tree).
 */
function socketFactory(cfg: SmtpConfig, timeoutMs: number, live: Set<Socket>, calls: { signal?: AbortSignal }) {
  return (_opts: unknown, cb: (err: Error | null, socketOptions?: { connection: Socket }) => void) => {
    const signal = calls.signal;
    const t = { host: cfg.host, port: cfg.port, timeoutMs, protocol: "SMTP" as const, signal };
    const opening = cfg.proxyProtocol
      ? connectWithProxyHeader({ ...t, sourceAddress: cfg.proxyProtocol.sourceAddress, sourcePort: cfg.proxyProtocol.sourcePort })
      : whenConnected(netConnect({ host: cfg.host, port: cfg.port, localAddress: cfg.localAddress }), t);
    opening.then(
      (connection) => {
        live.add(connection);
        connection.once("close", () => live.delete(connection));
        if (signal?.aborted) connection.destroy();
        cb(null, { connection });
      },
      (err: Error) => cb(err),
    );
  };
}

export function createSmtpSender(cfg: SmtpConfig): Sender {
  const timeoutMs = cfg.timeoutSeconds * 1000;
  const live = new Set<Socket>();
  const calls: { signal?: AbortSignal } = {};
  const options: SMTPTransport.Options = {
    host: cfg.host,
    port: cfg.port,
    secure: cfg.security === "tls",
    requireTLS: cfg.security === "starttls",
    ignoreTLS: cfg.security === "none",
    name: cfg.heloName,
    localAddress: cfg.localAddress,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    tls: { servername: cfg.servername, ...(cfg.ca ? { ca: cfg.ca } : {}) },
    ...(cfg.user ? { auth: { user: cfg.user, pass: cfg.password ?? "" } } : {}),
    getSocket: socketFactory(cfg, timeoutMs, live, calls),
  } as SMTPTransport.Options;
  const transport = new Mail(new SMTPTransport(options), options);

  /** Runs `fn` with its connections bound to `signal`: an abort destroys them. */
  async function bound<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    calls.signal = signal;
    const destroy = () => live.forEach((s) => s.destroy());
    signal.addEventListener("abort", destroy, { once: true });
    try {
      return await raceSignal(fn(), signal);
    } finally {
      signal.removeEventListener("abort", destroy);
    }
  }

  return {
    async send(msg: OutgoingMessage, signal): Promise<SendOutcome> {
      const started = Date.now();
      try {
        const info = await bound(signal, () =>
          transport.sendMail({
            from: msg.fromName ? { name: msg.fromName, address: msg.from } : msg.from,
            to: msg.to,
            subject: msg.subject,
            text: msg.text,
            headers: msg.headers,
          }),
        );
        return { ok: true, messageId: (info as { messageId?: string }).messageId, attempts: 1, notes: [] };
      } catch (err) {
        if (signal.aborted) return { ...sendCutOff(signal, `SMTP ${cfg.host}:${cfg.port}`, started), attempts: 1, notes: [] };
        return { ok: false, ...classifySmtpError(err as SmtpErrorLike), attempts: 1, notes: [] };
      }
    },

    async verify(signal) {
      try {
        await bound(signal, () => transport.verify());
        return { ok: true, detail: cfg.user ? "connected and authenticated" : "connected" };
      } catch (err) {
        const c = classifySmtpError(err as SmtpErrorLike);
        return { ok: false, detail: c.detail, reason: c.reason };
      }
    },

    close() {
      live.forEach((s) => s.destroy());
      transport.close();
    },
  };
}
