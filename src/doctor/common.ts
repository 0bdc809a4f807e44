// What every doctor check shares: the result shape, timing, bounded waits, TCP (with a PROXY
// header when the path has one) and the describe-only TLS handshake. Every wait here ends at its own
// timeout (a StepTimeoutError naming the protocol) or when the doctor's signal aborts, whichever is first.
import { connect as netConnect, isIP, type Socket } from "node:net";
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate } from "node:tls";
import type { ResolvedPath } from "../config/load.js";
import { raceSignal, StepTimeoutError, type Protocol } from "../core/deadline.js";
import { errnoOf, ProbeError } from "../core/errors.js";
import { peerText } from "../core/peer-text.js";
import { connectWithProxyHeader, whenConnected } from "../net/proxy-v2.js";

export type CheckStatus = "ok" | "warn" | "fail" | "skip";

export interface CheckResult {
  /** What is checked: `probe/path`, `probe/sender`, `pushgateway`, `probe/kuma`, `probe/path/kuma`. */
  scope: string;
  check: string;
  status: CheckStatus;
  detail: string;
  /** Likely cause and what to check next (failures and warnings). */
  hint?: string;
  ms: number;
}

/** A certificate expiring sooner than this is a warning. */
export const TLS_WARN_DAYS = 14;

/** `p`, or a StepTimeoutError ("IMAP greeting timed out after 5 s") after `ms`, or the signal's reason when it aborts first. */
export function withTimeout<T>(p: Promise<T>, ms: number, protocol: Protocol, step: string, signal: AbortSignal): Promise<T> {
  const own = new AbortController();
  const t = setTimeout(() => own.abort(new StepTimeoutError(protocol, step, ms)), ms);
  return raceSignal(p, AbortSignal.any([signal, own.signal])).finally(() => clearTimeout(t));
}

export function tcpHint(e: unknown, where: string): string {
  const code = errnoOf(e);
  if (code === "ECONNREFUSED") return `nothing listens on ${where}: check host and port, the Service/NodePort, HAProxy's frontend and that the server runs`;
  if (code === "ETIMEDOUT" || code === "CONNECT_TIMEOUT")
    return `no answer from ${where}: packets are dropped (firewall, NetworkPolicy, NAT rule) or the address is wrong`;
  return `cannot reach ${where}: check the address and the network path`;
}

/** The path's TCP connection (with its PROXY header), under the doctor's signal: an abort ends a pending connect at once. */
export function connectTcp(path: ResolvedPath, signal: AbortSignal): Promise<Socket> {
  const target = { host: path.host, port: path.port, timeoutMs: path.connectTimeoutMs, protocol: "IMAP" as const, signal };
  const pp = path.proxyProtocol;
  if (pp) return connectWithProxyHeader({ ...target, sourceAddress: pp.sourceAddress, sourcePort: pp.sourcePort });
  return whenConnected(netConnect({ host: path.host, port: path.port }), target);
}

/** The longest plain-text line read before STARTTLS (a greeting or a tagged answer is a short line). */
const PRE_TLS_LINE_CAP = 8192;

/** Reads CRLF lines until one matches `until`; for the few plain-text IMAP lines before STARTTLS. */
function readUntil(sock: Socket, until: RegExp, timeoutMs: number, step: string, signal: AbortSignal): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve, reject) => {
      let buf = "";
      const stop = () => {
        sock.off("data", onData);
        sock.off("error", reject);
      };
      // Complete lines only, each looked at once; the unfinished rest is kept up to the cap.
      const onData = (d: Buffer) => {
        buf += d.toString("latin1");
        for (let i = buf.indexOf("\r\n"); i >= 0; i = buf.indexOf("\r\n")) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (until.test(line)) return (stop(), resolve(peerText(line)));
        }
        if (buf.length > PRE_TLS_LINE_CAP) {
          stop();
          sock.destroy();
          reject(new ProbeError("imap_connect", `a line longer than ${PRE_TLS_LINE_CAP} bytes before STARTTLS: not an IMAP server`, { stage: "tls" }));
        }
      };
      sock.on("data", onData);
      sock.once("error", reject);
    }),
    timeoutMs,
    "IMAP",
    step,
    signal,
  );
}

export interface TlsFacts {
  subject: string;
  issuer: string;
  trusted: boolean;
  trustError?: string;
  nameError?: string;
  validTo: Date;
}

/**
 * A describe-only handshake: verification is evaluated and reported (trust, name, expiry) instead of
 * enforced, because Node gives no certificate after a refused handshake and the point is to say what
 * is wrong with it. Nothing is sent over this connection and it is closed at once; the login step
 * uses the probe's own client, which always verifies, and runs only when this check passed.
 */
export async function tlsFacts(path: ResolvedPath, sock: Socket, signal: AbortSignal): Promise<TlsFacts> {
  if (path.security === "starttls") {
    await readUntil(sock, /^\* (OK|PREAUTH|BYE)/i, path.connectTimeoutMs, "greeting", signal);
    sock.write("a1 STARTTLS\r\n");
    const answer = await readUntil(sock, /^a1 /i, path.connectTimeoutMs, "STARTTLS", signal);
    if (!/^a1 OK/i.test(answer)) throw new Error(`STARTTLS refused: ${answer}`);
  }
  const name = path.servername ?? path.host;
  return withTimeout(
    new Promise<TlsFacts>((resolve, reject) => {
      const t = tlsConnect({ socket: sock, servername: isIP(name) ? undefined : name, ca: path.ca, rejectUnauthorized: false, minVersion: "TLSv1.2" });
      t.once("error", reject);
      t.once("secureConnect", () => {
        const cert = t.getPeerCertificate() as PeerCertificate;
        const idErr = cert && Object.keys(cert).length ? checkServerIdentity(name, cert) : new Error("no certificate");
        const cn = (o: Record<string, unknown> | undefined) =>
          o
            ? Object.entries(o)
                .map(([k, v]) => `${k}=${String(v)}`)
                .join(", ")
            : "?";
        resolve({
          subject: `${cn(cert.subject as never)}${cert.subjectaltname ? ` (${cert.subjectaltname})` : ""}`,
          issuer: cn(cert.issuer as never),
          trusted: t.authorized,
          trustError: t.authorizationError ? String(t.authorizationError) : undefined,
          nameError: idErr?.message,
          validTo: new Date(cert.valid_to),
        });
        t.destroy();
      });
    }),
    path.connectTimeoutMs,
    "IMAP",
    "TLS handshake",
    signal,
  );
}

export async function timed(scope: string, check: string, fn: () => Promise<Omit<CheckResult, "scope" | "check" | "ms">>): Promise<CheckResult> {
  const t0 = performance.now();
  const r = await fn();
  return { scope, check, ...r, ms: Math.round(performance.now() - t0) };
}

export const skip = (scope: string, check: string, after: string): CheckResult => ({
  scope,
  check,
  status: "skip",
  detail: `not checked: ${after} failed`,
  ms: 0,
});
