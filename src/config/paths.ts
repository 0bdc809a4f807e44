// The paths block of loading: each IMAP path with the probe's `imap` defaults and IMAP_DEFAULTS
// merged in (a field inherited is reported where it is written), its secrets and CA read, its Kuma
// block resolved.
import ipaddr from "ipaddr.js";
import { EXAMPLES, type ConfigIssue } from "./issues.js";
import { kumaPushUrl } from "./fields.js";
import type { ResolvedKuma, ResolvedPath } from "./resolved.js";
import { IMAP_DEFAULTS, type KumaConfig, type PathConfig, type ProbeConfig } from "./schema.js";
import { checkSecretLength, readCa, secret } from "./secrets.js";

export function resolveKuma(k: KumaConfig | undefined, field: string, issues: ConfigIssue[]): ResolvedKuma | undefined {
  if (!k) return undefined;
  const pushUrl = secret(k, "pushUrl", field, issues, true);
  if (pushUrl === undefined) return undefined;
  // The URL is a secret: the message must not repeat it.
  const url = kumaPushUrl(pushUrl);
  if (url === undefined) issues.push({ field: `${field}.pushUrl`, message: "is not an Uptime Kuma push URL (…/api/push/<token>)", example: EXAMPLES.pushUrl });
  else checkSecretLength(new URL(url).pathname.split("/").pop(), `${field}.pushUrl (its token)`, issues);
  return { pushUrl: url ?? pushUrl, timeoutMs: k.timeoutSeconds * 1000 };
}

function resolvePath(p: ProbeConfig, raw: PathConfig, field: string, f: string, issues: ConfigIssue[]): ResolvedPath {
  // A path's own secret (either form) replaces the inherited one (either form).
  const inherited = raw.password !== undefined || raw.passwordFile !== undefined ? { ...p.imap, password: undefined, passwordFile: undefined } : p.imap;
  const m = { ...IMAP_DEFAULTS, ...inherited, ...raw };
  for (const key of ["host", "port", "user"] as const) {
    if (m[key] === undefined) issues.push({ field: `${f}.${key}`, message: `is required (here or in ${field}.imap)`, example: EXAMPLES[key] });
  }
  // A field inherited from the probe's `imap` block is reported where it is written.
  const at = (key: "password" | "caFile") => (raw[key] !== undefined || raw[`${key}File` as keyof typeof raw] !== undefined ? f : `${field}.imap`);
  const password = secret(m, "password", at("password"), issues, false) ?? "";
  if (m.password === undefined && m.passwordFile === undefined) {
    issues.push({ field: `${f}.password`, message: `is required (here or in ${field}.imap), or passwordFile`, example: EXAMPLES.password });
  }
  const host = m.host ?? "";
  return {
    name: raw.name,
    host,
    port: m.port,
    security: m.security,
    servername: m.servername ?? (ipaddr.isValid(host) ? undefined : host),
    ca: readCa(m.caFile, `${at("caFile")}.caFile`, issues),
    user: m.user ?? "",
    password,
    mailbox: m.mailbox,
    junkMailbox: m.junkMailbox,
    trashMailbox: m.trashMailbox,
    connectTimeoutMs: m.connectTimeoutSeconds * 1000,
    pollIntervalMs: m.pollIntervalMs,
    fastPollMs: m.fastPollSeconds * 1000,
    proxyProtocol: m.proxyProtocol,
    kuma: resolveKuma(raw.kuma, `${f}.kuma`, issues),
  };
}

/** Every path of probe `p` (written at `field`), names unique. */
export function resolvePaths(p: ProbeConfig, field: string, issues: ConfigIssue[]): ResolvedPath[] {
  const names = new Set<string>();
  return p.paths.map((raw, j) => {
    const f = `${field}.paths[${j}]`;
    if (names.has(raw.name)) issues.push({ field: `${f}.name`, message: `duplicate path name "${raw.name}"` });
    names.add(raw.name);
    return resolvePath(p, raw, field, f, issues);
  });
}
