// Doctor's checks of one IMAP path: DNS → TCP → TLS → login → select → IDLE; a step that cannot
// run after a failed one is skipped, not failed again. Login and select use the path's own receiver.
import { lookup } from "node:dns/promises";
import { isIP, type Socket } from "node:net";
import type { ResolvedPath, ResolvedProbe } from "../config/load.js";
import { errText, ProbeError } from "../core/errors.js";
import { receiverNamed } from "../receivers/index.js";
import type { Rehearsal } from "../receivers/session.js";
import { connectTcp, skip, tcpHint, timed, tlsFacts, TLS_WARN_DAYS, withTimeout, type CheckResult } from "./common.js";
import { hintFor } from "./hints.js";

const STEPS = ["dns", "tcp", "tls", "login", "select", "uidnext", "look back", "idle", "cleanup", "junk mailbox"];

export async function checkPath(probe: ResolvedProbe, path: ResolvedPath, signal: AbortSignal): Promise<CheckResult[]> {
  const scope = `${probe.name}/${path.name}`;
  const where = `${path.host}:${path.port}`;
  const out: CheckResult[] = [];
  const skipRest = (from: string, after: string) => STEPS.slice(STEPS.indexOf(from)).forEach((c) => out.push(skip(scope, c, after)));

  const dns = await timed(scope, "dns", async () => {
    if (isIP(path.host)) return { status: "ok", detail: `${path.host} (an IP literal, no lookup)` };
    try {
      const addrs = await withTimeout(lookup(path.host, { all: true }), path.connectTimeoutMs, "DNS", `lookup of ${path.host}`, signal);
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
      sock = await connectTcp(path, signal);
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
      const f = await tlsFacts(path, sock!, signal);
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

  return (out.push(...(await checkSession(scope, path, signal))), out);
}

/** Login, select and IDLE with the very client the probe uses; then what a run runs, on that session. */
async function checkSession(scope: string, path: ResolvedPath, signal: AbortSignal): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const skipRest = (from: string, after: string) => STEPS.slice(STEPS.indexOf(from)).forEach((c) => out.push(skip(scope, c, after)));
  let idle = false;
  let rehearsed: Rehearsal[] = [];
  let stage: "login" | "select" | "done" = "login";
  let failure: ProbeError | undefined;
  const t0 = performance.now();
  try {
    const session = await receiverNamed().open(path, signal);
    idle = session.idleSupported;
    stage = "done";
    rehearsed = session.rehearse
      ? await session.rehearse(signal).catch((e: unknown) => [{ check: "look back", status: "fail" as const, detail: errText(e) }])
      : [{ check: "cleanup", status: session.cleanupMode === "uid-expunge" ? "ok" : "warn", detail: `${session.cleanupMode}: ${session.cleanupWhy}` }];
    await session.close();
  } catch (e) {
    failure = e instanceof ProbeError ? e : new ProbeError("imap_error", errText(e), { stage: "login", path: path.name, cause: e });
    stage = failure.code === "imap_mailbox" ? "select" : "login";
  }
  const ms = Math.round(performance.now() - t0);
  if (stage === "login") {
    out.push({
      scope,
      check: "login",
      status: "fail",
      detail: failure?.message ?? "login failed",
      hint: hintFor(failure?.code, path, "the session failed before login: see the detail"),
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
      hint: hintFor("imap_mailbox", path, "select failed: see the detail"),
      ms: 0,
    });
    return (skipRest("uidnext", "select"), out);
  }
  const line = (r: Rehearsal): CheckResult => ({ scope, ms: 0, ...r });
  const byName = (c: string) => rehearsed.filter((r) => r.check === c).map(line);
  out.push(...(byName("select").length ? byName("select") : [line({ check: "select", status: "ok", detail: `${path.mailbox} selectable` })]));
  out.push(...byName("uidnext"), ...byName("look back"));
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
  out.push(...byName("cleanup"), ...byName("junk mailbox"));
  return out;
}
