// `doctor`: every check mailprobe can make without sending mail. Per IMAP path DNS → TCP → TLS →
// login → select → IDLE (a step that cannot run after a failed one is skipped, not failed again);
// the sender's credentials; the Pushgateway; each Kuma URL's host (no heartbeat is recorded).
// Each failing line carries its likely cause and what to check next.
import { connect as netConnect } from "node:net";
import type { LoadedConfig, ResolvedKuma, ResolvedProbe } from "../config/load.js";
import { isKumaPushUrl } from "../config/fields.js";
import { printableUrl } from "../config/urls.js";
import { raceSignal } from "../core/deadline.js";
import { errText } from "../core/errors.js";
import { noTokenKeyWarning } from "../core/token.js";
import { httpFetch } from "../net/http-fetch.js";
import { whenConnected } from "../net/proxy-v2.js";
import { checkRelay, readCertificate } from "../net/smtp-relay.js";
import { senderModule } from "../senders/index.js";
import { senderCertTarget } from "../probe/listeners.js";
import { TLS_WARN_DAYS, tcpHint, timed, type CheckResult } from "./common.js";
import { checkPath } from "./path.js";

export { TLS_WARN_DAYS, type CheckResult, type CheckStatus } from "./common.js";
export { checkPath };

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

export async function checkPushgateway(
  cfg: NonNullable<LoadedConfig["pushgateway"]>,
  signal: AbortSignal = new AbortController().signal,
): Promise<CheckResult> {
  return timed("pushgateway", "reachable", async () => {
    const target = new URL(cfg.url);
    target.pathname = `${target.pathname.replace(/\/+$/, "")}/-/healthy`;
    target.search = "";
    // Printed without userinfo or query: credentials in the URL are secrets.
    const url = printableUrl(target.href);
    const headers: Record<string, string> = {};
    if (cfg.basicAuth) headers.authorization = `Basic ${Buffer.from(`${cfg.basicAuth.user}:${cfg.basicAuth.password}`).toString("base64")}`;
    try {
      const res = await httpFetch(target, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(cfg.timeoutMs)]) });
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
        hint: `${tcpHint(cause, target.host)}; runs still work, but their metrics are lost`,
      };
    }
  });
}

/** The push URL is a secret: only its origin is ever shown. The host is reached by TCP only. */
export async function checkKuma(scope: string, kuma: ResolvedKuma, signal: AbortSignal): Promise<CheckResult> {
  return timed(scope, "kuma url", async () => {
    let u: URL;
    try {
      u = new URL(kuma.pushUrl);
    } catch {
      return { status: "fail", detail: "not a URL", hint: "kuma.pushUrl must look like https://kuma.example/api/push/<token>" };
    }
    if (!isKumaPushUrl(kuma.pushUrl))
      return { status: "fail", detail: `${u.origin}: not a push URL`, hint: "copy the push URL from the monitor's settings (…/api/push/<token>)" };
    const portNum = Number(u.port || (u.protocol === "https:" ? 443 : 80));
    // The token is elided: `https://kuma.example.com/api/push/…`.
    const shown = printableUrl(kuma.pushUrl);
    try {
      const host = u.hostname.replace(/^\[|\]$/g, "");
      (await whenConnected(netConnect({ host, port: portNum }), { host, port: portNum, timeoutMs: kuma.timeoutMs, protocol: "HTTP", signal })).destroy();
      return { status: "ok", detail: `${shown} reachable, push URL well-formed (no heartbeat sent)` };
    } catch (e) {
      return { status: "fail", detail: `${shown}: ${errText(e)}`, hint: `${tcpHint(e, u.host)}; Kuma will mark the monitor down when pushes stop` };
    }
  });
}

/** A relay-check entry: the RCPT to a foreign domain must be refused; its certificate's days left. */
export async function checkRelayEntry(probe: ResolvedProbe, entry: ResolvedProbe["relayCheck"][number], signal: AbortSignal): Promise<CheckResult[]> {
  const scope = `${probe.name}/relay/${entry.name}`;
  let cert: string | undefined;
  let tlsError: string | undefined;
  const relay = await timed(scope, "relay", async () => {
    const r = await checkRelay(entry, signal);
    cert = r.certNotAfter;
    tlsError = r.tlsError;
    if (r.state === "refused") return { status: "ok", detail: `unauthenticated RCPT refused: ${r.detail}` };
    if (r.state === "open")
      return {
        status: "fail",
        detail: r.detail,
        hint: "open relay: the server trusts this client (mynetworks?). Behind HAProxy a lost PROXY header shows the node address, which mynetworks may hold",
      };
    if (r.state === "inconclusive")
      return {
        status: "warn",
        detail: `inconclusive: ${r.detail}`,
        hint: "the server deferred or refused before the relay question was asked (greylisting, postscreen, a sender check): try again, or exempt this client from those checks",
      };
    return { status: "fail", detail: r.detail, hint: `${tcpHint(r.detail, `${entry.host}:${entry.port}`)} (security, servername, caFile, proxyProtocol)` };
  });
  if (entry.security === "none") return [relay];
  return [relay, await certCheck(scope, cert, "the connection failed before TLS", tlsError)];
}

function certCheck(scope: string, cert: string | undefined, why: string, tlsError?: string): Promise<CheckResult> {
  return timed(scope, "smtp tls", async () => {
    if (!cert && tlsError)
      return {
        status: "fail",
        detail: tlsError,
        hint: "the TLS handshake failed: an expired certificate (reload Postfix after the renewal), an untrusted chain (caFile) or a name the certificate does not hold (servername)",
      };
    if (!cert) return { status: "skip", detail: `no certificate read (${why})` };
    const days = Math.floor((Date.parse(cert) - Date.now()) / 86_400_000);
    const detail = `certificate expires ${cert.slice(0, 10)}, ${days} days left`;
    if (days < 0) return { status: "fail", detail, hint: "the listener serves an expired certificate: has Postfix been reloaded since the renewal?" };
    if (days < TLS_WARN_DAYS) return { status: "warn", detail, hint: "renew it, and reload Postfix so that it serves the new one" };
    return { status: "ok", detail };
  });
}

/** The certificate an SMTP sender route's listener serves (STARTTLS or implicit TLS); no MAIL is sent. */
export async function checkSmtpSenderCert(probe: ResolvedProbe, key: "sender" | "watchSender", signal: AbortSignal): Promise<CheckResult[]> {
  const target = senderCertTarget(key, probe[key]);
  if (!target) return [];
  const r = await readCertificate(target, signal);
  return [await certCheck(`${probe.name}/${key}`, r.certNotAfter, r.error ?? "no TLS", r.tlsError)];
}

/** The token MAC key: without it the stale sweep is off (a warning: runs still work). */
export function checkTokenKey(probes: ResolvedProbe[]): CheckResult {
  if (probes.every((p) => p.tokenKey))
    return { scope: "config", check: "token key", status: "ok", detail: "tokenKey set: the stale sweep can prove probe messages ours", ms: 0 };
  const w = noTokenKeyWarning();
  return { scope: "config", check: "token key", status: "warn", detail: `${w.code}: ${w.detail}`, hint: w.hint, ms: 0 };
}

/** Hard deadline of each doctor check group (a path's steps, the sender, a sink): a server that trickles its answers fails it. */
export const DOCTOR_CHECK_MS = 30_000;

/**
 * The group deadline in force: DOCTOR_CHECK_MS, or MAILPROBE_DOCTOR_CHECK_MS (milliseconds; internal,
 * undocumented: the test suite shortens it so that a test of the deadline need not wait 30 s).
 */
export function doctorCheckMs(env: NodeJS.ProcessEnv): number {
  const ms = Number(env.MAILPROBE_DOCTOR_CHECK_MS);
  return Number.isInteger(ms) && ms > 0 ? ms : DOCTOR_CHECK_MS;
}

export interface DoctorOptions {
  /** Each check group's hard deadline (default DOCTOR_CHECK_MS). */
  checkMs?: number;
}

/** Runs one check group under its own hard deadline; on expiry the group is one failed check. */
function boundedGroup(
  scope: string,
  check: string,
  signal: AbortSignal,
  checkMs: number,
  fn: (s: AbortSignal) => Promise<CheckResult[]>,
): Promise<CheckResult[]> {
  const s = AbortSignal.any([signal, AbortSignal.timeout(checkMs)]);
  return raceSignal(fn(s), s).catch((err: unknown) => [
    {
      scope,
      check,
      status: "fail" as const,
      detail: s.aborted && !signal.aborted ? `no complete answer within ${checkMs / 1000} s` : errText(err),
      hint: "the server accepts the connection but answers too slowly or not at all",
      ms: checkMs,
    },
  ]);
}

export async function runDoctor(config: LoadedConfig, probes: ResolvedProbe[], signal: AbortSignal, o: DoctorOptions = {}): Promise<CheckResult[]> {
  const ms = o.checkMs ?? DOCTOR_CHECK_MS;
  const bounded = (scope: string, check: string, fn: (s: AbortSignal) => Promise<CheckResult[]>) => boundedGroup(scope, check, signal, ms, fn);
  const groups = await Promise.all([
    [checkTokenKey(probes)],
    ...probes.flatMap((p) => [
      ...p.paths.map((path) => bounded(`${p.name}/${path.name}`, "path", (s) => checkPath(p, path, s))),
      bounded(`${p.name}/sender`, "sender", (s) => checkSender(p, s).then((r) => [r])),
      ...(p.relayCheck ?? []).map((e) => bounded(`${p.name}/relay/${e.name}`, "relay", (s) => checkRelayEntry(p, e, s))),
      bounded(`${p.name}/sender`, "smtp tls", (s) => checkSmtpSenderCert(p, "sender", s)),
      bounded(`${p.name}/watchSender`, "smtp tls", (s) => checkSmtpSenderCert(p, "watchSender", s)),
      ...(p.kuma ? [checkKuma(`${p.name}/kuma`, p.kuma, signal).then((r) => [r])] : []),
      ...p.paths.filter((path) => path.kuma).map((path) => checkKuma(`${p.name}/${path.name}/kuma`, path.kuma!, signal).then((r) => [r])),
    ]),
    ...(config.pushgateway ? [bounded("pushgateway", "reachable", (s) => checkPushgateway(config.pushgateway!, s).then((r) => [r]))] : []),
  ]);
  return groups.flat();
}
