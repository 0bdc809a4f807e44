// `doctor`: every check mailprobe can make without sending mail. Per IMAP path DNS → TCP → TLS →
// login → select → IDLE (a step that cannot run after a failed one is skipped, not failed again);
// the sender's credentials; the Pushgateway; each Kuma URL's host (no heartbeat is recorded).
// Each failing line carries its likely cause and what to check next.
import { lookup } from "node:dns/promises";
import { connect as netConnect, isIP, type Socket } from "node:net";
import { checkServerIdentity, connect as tlsConnect, type PeerCertificate } from "node:tls";
import type { LoadedConfig, ResolvedKuma, ResolvedPath, ResolvedProbe } from "../config/load.js";
import { httpFetch } from "../net/http-fetch.js";
import { connectWithProxyHeader, whenConnected } from "../net/proxy-v2.js";
import { raceSignal } from "../core/deadline.js";
import { openImap } from "../receivers/imap.js";
import { errnoOf, errText, ProbeError } from "../core/errors.js";
import { senderModule } from "../senders/index.js";

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

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>(
      (_, reject) =>
        (t = setTimeout(() => reject(new ProbeError("imap_connect", `${what} timed out after ${ms} ms`, { stage: what, errno: "ETIMEDOUT" })), ms)),
    ),
  ]).finally(() => clearTimeout(t));
}

function tcpHint(e: unknown, where: string): string {
  const code = errnoOf(e);
  if (code === "ECONNREFUSED") return `nothing listens on ${where}: check host and port, the Service/NodePort, HAProxy's frontend and that the server runs`;
  if (code === "ETIMEDOUT" || code === "CONNECT_TIMEOUT")
    return `no answer from ${where}: packets are dropped (firewall, NetworkPolicy, NAT rule) or the address is wrong`;
  return `cannot reach ${where}: check the address and the network path`;
}

function connectTcp(path: ResolvedPath): Promise<Socket> {
  const target = { host: path.host, port: path.port, timeoutMs: path.connectTimeoutMs };
  const pp = path.proxyProtocol;
  if (pp) return connectWithProxyHeader({ ...target, sourceAddress: pp.sourceAddress, sourcePort: pp.sourcePort });
  return whenConnected(netConnect({ host: path.host, port: path.port }), target);
}

/** Reads CRLF lines until one matches `until`; for the few plain-text IMAP lines before STARTTLS. */
function readUntil(sock: Socket, until: RegExp, timeoutMs: number): Promise<string> {
  return withTimeout(
    new Promise<string>((resolve, reject) => {
      let buf = "";
      const onData = (d: Buffer) => {
        buf += d.toString("latin1");
        const line = buf.split("\r\n").find((l) => until.test(l));
        if (line !== undefined) {
          sock.off("data", onData);
          sock.off("error", reject);
          resolve(line);
        }
      };
      sock.on("data", onData);
      sock.once("error", reject);
    }),
    timeoutMs,
    "IMAP greeting",
  );
}

interface TlsFacts {
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
async function tlsFacts(path: ResolvedPath, sock: Socket): Promise<TlsFacts> {
  if (path.security === "starttls") {
    await readUntil(sock, /^\* (OK|PREAUTH|BYE)/i, path.connectTimeoutMs);
    sock.write("a1 STARTTLS\r\n");
    const answer = await readUntil(sock, /^a1 /i, path.connectTimeoutMs);
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
    "TLS handshake",
  );
}

async function timed(scope: string, check: string, fn: () => Promise<Omit<CheckResult, "scope" | "check" | "ms">>): Promise<CheckResult> {
  const t0 = performance.now();
  const r = await fn();
  return { scope, check, ...r, ms: Math.round(performance.now() - t0) };
}

const skip = (scope: string, check: string, after: string): CheckResult => ({ scope, check, status: "skip", detail: `not checked: ${after} failed`, ms: 0 });

export async function checkPath(probe: ResolvedProbe, path: ResolvedPath, signal: AbortSignal): Promise<CheckResult[]> {
  const scope = `${probe.name}/${path.name}`;
  const where = `${path.host}:${path.port}`;
  const out: CheckResult[] = [];
  const steps = ["dns", "tcp", "tls", "login", "select", "idle"];
  const skipRest = (from: string, after: string) => steps.slice(steps.indexOf(from)).forEach((c) => out.push(skip(scope, c, after)));

  const dns = await timed(scope, "dns", async () => {
    if (isIP(path.host)) return { status: "ok", detail: `${path.host} (an IP literal, no lookup)` };
    try {
      const addrs = await withTimeout(lookup(path.host, { all: true }), path.connectTimeoutMs, `lookup of ${path.host}`);
      return { status: "ok", detail: `${path.host} → ${addrs.map((a) => a.address).join(", ")}` };
    } catch (e) {
      return {
        status: "fail",
        detail: `${path.host} does not resolve (${errText(e)})`,
        hint: "check the host name, the cluster DNS (a Service name needs its namespace outside it) and the resolver",
      };
    }
  });
  out.push(dns);
  if (dns.status === "fail") return (skipRest("tcp", "dns"), out);

  let sock: Socket | undefined;
  const tcp = await timed(scope, "tcp", async () => {
    try {
      sock = await connectTcp(path);
      return {
        status: "ok",
        detail: `connected to ${where}${path.proxyProtocol ? ` with a PROXY v2 header claiming ${path.proxyProtocol.sourceAddress}` : ""}`,
      };
    } catch (e) {
      return { status: "fail", detail: `${where}: ${errText(e)}`, hint: tcpHint(e, where) };
    }
  });
  out.push(tcp);
  if (tcp.status === "fail" || !sock) return (skipRest("tls", "tcp"), out);

  let tlsOk = false;
  const tls = await timed(scope, "tls", async () => {
    try {
      const f = await tlsFacts(path, sock!);
      const days = Math.floor((f.validTo.getTime() - Date.now()) / 86_400_000);
      const base = `${f.subject}, issued by ${f.issuer}, ${days >= 0 ? `${days} days left` : `expired ${-days} days ago`}`;
      if (days < 0)
        return { status: "fail", detail: `${base}`, hint: "the server certificate has expired: renew it (cert-manager, certbot) and reload Dovecot" };
      // Node folds the name check into authorization when a server name is given: report it as the name.
      if (!f.trusted && !/expired|ALTNAME/i.test(f.trustError ?? "")) {
        return {
          status: "fail",
          detail: `${base}; chain not trusted: ${f.trustError}`,
          hint: path.ca
            ? "caFile does not hold the CA that signed this certificate: point caFile at the right CA bundle"
            : "the issuer is not a public CA: set caFile (imap.caFile or the path's) to your CA's certificate",
        };
      }
      if (f.nameError)
        return {
          status: "fail",
          detail: `${base}; ${f.nameError}`,
          hint: `the certificate does not name ${path.servername ?? path.host}: set servername to a name it carries, or fix the certificate`,
        };
      tlsOk = true;
      if (days < TLS_WARN_DAYS)
        return { status: "warn", detail: `${base}, trusted`, hint: `the certificate expires within ${TLS_WARN_DAYS} days: check its renewal` };
      return { status: "ok", detail: `${base}, trusted` };
    } catch (e) {
      return {
        status: "fail",
        detail: `${where}: ${errText(e)}`,
        hint: path.proxyProtocol
          ? "the server dropped the handshake: does this listener expect a PROXY header (and trust the source)?"
          : "the server does not speak TLS here, or requires a PROXY header first (an alt listener): check port and security (tls/starttls)",
      };
    } finally {
      sock?.destroy();
    }
  });
  out.push(tls);
  if (!tlsOk) return (skipRest("login", "tls"), out);

  // Login, select and IDLE with the very client the probe uses.
  let idle = false;
  let stage: "login" | "select" | "done" = "login";
  let failure: ProbeError | undefined;
  const t0 = performance.now();
  try {
    const session = await openImap(path, signal);
    idle = session.idleSupported;
    stage = "done";
    await session.close();
  } catch (e) {
    failure = e instanceof ProbeError ? e : new ProbeError("imap_error", errText(e), { stage: "login", path: path.name, cause: e });
    stage = failure.code === "imap_mailbox" ? "select" : "login";
  }
  const ms = Math.round(performance.now() - t0);
  if (stage === "login") {
    const auth = failure?.code === "imap_auth";
    out.push({
      scope,
      check: "login",
      status: "fail",
      detail: failure?.message ?? "login failed",
      hint: auth
        ? `the server refused ${path.user}: check user and password(File) (the Secret's key, a trailing newline?); Dovecot's auth log says why`
        : "the session failed before login: see the detail",
      ms,
    });
    return (skipRest("select", "login"), out);
  }
  out.push({ scope, check: "login", status: "ok", detail: `logged in as ${path.user}`, ms });
  if (stage === "select") {
    out.push({
      scope,
      check: "select",
      status: "fail",
      detail: failure?.message ?? "select failed",
      hint: `mailbox "${path.mailbox}" cannot be opened: check its name (case, separator) and the user's rights`,
      ms: 0,
    });
    return (skipRest("idle", "select"), out);
  }
  out.push({ scope, check: "select", status: "ok", detail: `${path.mailbox} selectable`, ms: 0 });
  out.push(
    idle
      ? { scope, check: "idle", status: "ok", detail: "IDLE supported", ms: 0 }
      : {
          scope,
          check: "idle",
          status: "warn",
          detail: "the server does not announce IDLE",
          hint: "mailprobe polls every 2 s after its fast window instead: detection gets slower, not wrong",
          ms: 0,
        },
  );
  return out;
}

export async function checkSender(probe: ResolvedProbe, signal: AbortSignal): Promise<CheckResult> {
  const module = senderModule(probe.sender.type);
  return timed(`${probe.name}/sender`, module.doctor.check, async () => {
    const sender = await module.create(probe.sender);
    try {
      const v = sender.verify ? await raceSignal(sender.verify(signal), signal) : { ok: true, detail: "nothing to verify" };
      if (v.ok) {
        const credits = "credits" in v && v.credits !== undefined ? `, ${v.credits} send credits left` : "";
        return { status: "ok", detail: `${v.detail}${credits}` };
      }
      // The sender classified its failure: the hint is keyed by that code, not read from the text.
      const reason = "reason" in v ? v.reason : undefined;
      return { status: "fail", detail: v.detail, hint: (reason && module.doctor.hints[reason]) ?? module.doctor.hints.default };
    } finally {
      sender.close();
    }
  });
}

export async function checkPushgateway(cfg: NonNullable<LoadedConfig["pushgateway"]>): Promise<CheckResult> {
  return timed("pushgateway", "reachable", async () => {
    const url = `${cfg.url.replace(/\/+$/, "")}/-/healthy`;
    try {
      const res = await httpFetch(url, { signal: AbortSignal.timeout(cfg.timeoutMs) });
      if (res.ok) return { status: "ok", detail: `${url} answered ${res.status}` };
      return {
        status: "fail",
        detail: `${url} answered ${res.status}`,
        hint: "something answers, but not a healthy Pushgateway: check pushgateway.url (the base URL, no /metrics)",
      };
    } catch (e) {
      const cause = (e as { cause?: unknown }).cause ?? e;
      return {
        status: "fail",
        detail: `${url}: ${errText(cause)}`,
        hint: `${tcpHint(cause, new URL(cfg.url).host)}; runs still work, but their metrics are lost`,
      };
    }
  });
}

/** The push URL is a secret: only its origin is ever shown. The host is reached by TCP only. */
export async function checkKuma(scope: string, kuma: ResolvedKuma): Promise<CheckResult> {
  return timed(scope, "kuma url", async () => {
    let u: URL;
    try {
      u = new URL(kuma.pushUrl);
    } catch {
      return { status: "fail", detail: "not a URL", hint: "kuma.pushUrl must look like https://kuma.example/api/push/<token>" };
    }
    if (!/\/api\/push\/[^/]+$/.test(u.pathname) || u.search)
      return { status: "fail", detail: `${u.origin}: not a push URL`, hint: "copy the push URL from the monitor's settings, without ?status=…" };
    const portNum = Number(u.port || (u.protocol === "https:" ? 443 : 80));
    try {
      const host = u.hostname.replace(/^\[|\]$/g, "");
      (await whenConnected(netConnect({ host, port: portNum }), { host, port: portNum, timeoutMs: kuma.timeoutMs })).destroy();
      return { status: "ok", detail: `${u.origin} reachable, push URL well-formed (no heartbeat sent)` };
    } catch (e) {
      return { status: "fail", detail: `${u.origin}: ${errText(e)}`, hint: `${tcpHint(e, u.host)}; Kuma will mark the monitor down when pushes stop` };
    }
  });
}

export async function runDoctor(config: LoadedConfig, probes: ResolvedProbe[], signal: AbortSignal): Promise<CheckResult[]> {
  const groups = await Promise.all([
    ...probes.flatMap((p) => [
      ...p.paths.map((path) => checkPath(p, path, signal)),
      checkSender(p, signal).then((r) => [r]),
      ...(p.kuma ? [checkKuma(`${p.name}/kuma`, p.kuma).then((r) => [r])] : []),
      ...p.paths.filter((path) => path.kuma).map((path) => checkKuma(`${p.name}/${path.name}/kuma`, path.kuma!).then((r) => [r])),
    ]),
    ...(config.pushgateway ? [checkPushgateway(config.pushgateway).then((r) => [r])] : []),
  ]);
  return groups.flat();
}
