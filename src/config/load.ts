// Loads a config file: YAML → ${ENV} interpolation → schema → defaults merged into each path →
// `…File` secrets read. Everything is checked before any network I/O; every problem names its field.
import { readFileSync } from "node:fs";
import ipaddr from "ipaddr.js";
import { senderModule, type ResolveContext, type SenderConfig } from "../core/sender.js";
import { ConfigError, EXAMPLES, interpolate, readCa, secret, zodIssues, type ConfigIssue, type Json } from "./issues.js";

import {
  configSchema,
  IMAP_DEFAULTS,
  type Config,
  type KumaConfig,
  type PathConfig,
  type ProbeConfig,
  type ProxyProtocolConfig,
  type AuthResultsConfig,
  type RelayCheckConfig,
  type SpamConfig,
  type ReceivedConfig,
  type RouteReceivedConfig,
  ServeSchema,
  type ServeConfig,
} from "./schema.js";

import { coerceInterpolated } from "./coerce.js";
import { kumaPushUrl } from "./fields.js";
import { checkSecretLength, dangerousConfig } from "./rules.js";
import { urlCredentials } from "./urls.js";
import { wireIssues } from "./wire.js";
import { tokenKeyApart } from "./key-apart.js";
import { parseConfigYaml } from "./yaml.js";
import { TOKEN_KEY_MIN_BYTES, TOKEN_KEY_MIN_DISTINCT } from "../core/token.js";

export { ConfigError, type ConfigIssue } from "./issues.js";

/** A Kuma block with its push URL resolved. */
export type ResolvedKuma = { pushUrl: string; timeoutMs: number };

type ImapPart = Required<Pick<PathConfig, "host" | "port" | "security" | "user" | "mailbox">> &
  Pick<PathConfig, "servername" | "junkMailbox" | "trashMailbox" | "pollIntervalMs" | "name"> & { proxyProtocol?: ProxyProtocolConfig };

/** One IMAP path: the probe's `imap` defaults and IMAP_DEFAULTS merged in, secrets and CA read. */
export type ResolvedPath = ImapPart & {
  pollIntervalMs: number;
  ca?: string;
  password: string;
  connectTimeoutMs: number;
  fastPollMs: number;
  kuma?: ResolvedKuma;
};

/** What the MX must make of this route's messages (config/schema.ts routeChecks), resolved. */
export interface RouteChecks {
  authResults?: AuthResultsConfig & { authservId: string };
  spam?: SpamConfig;
}

/** A sender block as its module resolved it (core/sender.ts), with its route checks and the route's effective Received rules. */
export type ResolvedSender = SenderConfig & RouteChecks & { received?: ReceivedConfig };

/** One relay-check entry point, its CA read and MAIL FROM filled in. */
export type ResolvedRelayCheck = Omit<RelayCheckConfig, "timeoutSeconds" | "mailFrom"> & { mailFrom: string; ca?: string; timeoutMs: number };

export type ResolvedProbe = Pick<ProbeConfig, "name" | "to" | "received" | "schedule"> & {
  timeoutMs: number;
  sender: ResolvedSender;
  /** `watch --via`: a second route (e.g. SMTP) that spares the main sender's quota. */
  watchSender?: ResolvedSender;
  paths: ResolvedPath[];
  staleAfterMs: number;
  sweepDays: number;
  kuma?: ResolvedKuma;
  relayCheck: ResolvedRelayCheck[];
  /** The top-level token MAC key (a secret); absent: the stale sweep is off and every result says so. */
  tokenKey?: string;
};

export interface LoadedConfig {
  file?: string;
  pushgateway?: { url: string; job: string; deployment?: string; timeoutMs: number; basicAuth?: { user: string; password: string } };
  logLevel?: Config["log"]["level"];
  serve?: ReturnType<typeof serveSettings>;
  probes: ResolvedProbe[];
  /** Every secret value the config holds, for redaction of anything printed. */
  secrets: string[];
}

function resolveKuma(k: KumaConfig | undefined, field: string, issues: ConfigIssue[]): ResolvedKuma | undefined {
  if (!k) return undefined;
  const pushUrl = secret(k, "pushUrl", field, issues, true);
  if (pushUrl === undefined) return undefined;
  // The URL is a secret: the message must not repeat it.
  const url = kumaPushUrl(pushUrl);
  if (url === undefined) issues.push({ field: `${field}.pushUrl`, message: "is not an Uptime Kuma push URL (…/api/push/<token>)", example: EXAMPLES.pushUrl });
  else checkSecretLength(new URL(url).pathname.split("/").pop(), `${field}.pushUrl (its token)`, issues);
  return { pushUrl: url ?? pushUrl, timeoutMs: k.timeoutSeconds * 1000 };
}

/** The probe's Received rules with a route's own fields in their place (see RouteReceivedSchema). */
function routeReceived(probe: ReceivedConfig | undefined, route: RouteReceivedConfig | undefined, probeField: string, f: string, issues: ConfigIssue[]) {
  if (!route) return probe;
  const mxHosts = route.mxHosts ?? probe?.mxHosts;
  if (!mxHosts) {
    issues.push({ field: `${f}.received.mxHosts`, message: `is required (here or in ${probeField}.received)`, example: EXAMPLES.mxHosts });
    return undefined;
  }
  const merged: ReceivedConfig = {
    mxHosts,
    forbiddenCidrs: route.forbiddenCidrs ?? probe?.forbiddenCidrs ?? [],
    expectedCidrs: route.expectedCidrs ?? probe?.expectedCidrs ?? [],
    internalCidrs: route.internalCidrs ?? probe?.internalCidrs ?? [],
    requireTls: route.requireTls ?? probe?.requireTls ?? false,
  };
  if (!merged.forbiddenCidrs.length && !merged.expectedCidrs.length) {
    issues.push({
      field: `${f}.received`,
      message: "needs forbiddenCidrs or expectedCidrs (its own or the probe's), else it checks nothing",
      example: EXAMPLES.forbiddenCidrs,
    });
  }
  return merged;
}

function resolveSender(s: SenderConfig, f: string, issues: ConfigIssue[], probe: ProbeConfig, probeField: string): ResolvedSender {
  const ctx: ResolveContext = {
    field: f,
    secret: (key, required) => secret(s, key, f, issues, required),
    readFile: (file, key) => readCa(file, `${f}.${key}`, issues),
    issue: (key, message, ex) => issues.push({ field: `${f}.${key}`, message, example: ex }),
  };
  const { received, authResults, spam, ...own } = s as SenderConfig & { received?: RouteReceivedConfig; authResults?: AuthResultsConfig; spam?: SpamConfig };
  const resolved: ResolvedSender = { ...senderModule(s.type).resolve(own, ctx), received: routeReceived(probe.received, received, probeField, f, issues) };
  const mxHosts = resolved.received?.mxHosts;
  if (spam) resolved.spam = spam;
  if (authResults) {
    const authservId = authResults.authservId ?? mxHosts?.find((h) => !h.includes("*"));
    // The MX's header is located from the entry hop, which received.mxHosts finds.
    if (!mxHosts)
      issues.push({
        field: `${f}.authResults`,
        message: "needs received.mxHosts (the probe's or the route's: they locate the MX's header)",
        example: "received: { mxHosts: [mx.example.com], forbiddenCidrs: [10.42.0.0/16] }",
      });
    else if (!authservId)
      issues.push({
        field: `${f}.authResults.authservId`,
        message: "is required when every received.mxHosts entry is a wildcard",
        example: "mail.example.com",
      });
    else resolved.authResults = { ...authResults, authservId: authservId.toLowerCase() };
  }
  return resolved;
}

function resolveProbe(p: ProbeConfig, i: number, issues: ConfigIssue[]): ResolvedProbe {
  const field = `probes[${i}]`;
  const sender = resolveSender(p.sender, `${field}.sender`, issues, p, field);
  const watchSender = p.watchSender ? resolveSender(p.watchSender, `${field}.watchSender`, issues, p, field) : undefined;
  const entries = new Set<string>();
  const relayCheck = (p.relayCheck ?? []).map((r, j): ResolvedRelayCheck => {
    if (entries.has(r.name)) issues.push({ field: `${field}.relayCheck[${j}].name`, message: `duplicate entry name "${r.name}"` });
    // `sender` is the SMTP sender route's listener in mailprobe_smtp_tls_cert_expiry_timestamp_seconds.
    if (r.name === "sender")
      issues.push({ field: `${field}.relayCheck[${j}].name`, message: "is reserved for the SMTP sender's listener", example: "public-smtp" });
    entries.add(r.name);
    const { timeoutSeconds, mailFrom, ...rest } = r;
    return { ...rest, mailFrom: mailFrom ?? p.sender.from, ca: readCa(r.caFile, `${field}.relayCheck[${j}].caFile`, issues), timeoutMs: timeoutSeconds * 1000 };
  });

  const names = new Set<string>();
  const paths = p.paths.map((raw, j): ResolvedPath => {
    const f = `${field}.paths[${j}]`;
    if (names.has(raw.name)) issues.push({ field: `${f}.name`, message: `duplicate path name "${raw.name}"` });
    names.add(raw.name);
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
  });

  const timeoutMs = p.timeoutSeconds * 1000;
  const staleAfterMs = p.cleanup.staleAfterSeconds * 1000;
  if (staleAfterMs <= timeoutMs) {
    issues.push({
      field: `${field}.cleanup.staleAfterSeconds`,
      message: `must be longer than the probe's timeoutSeconds (${p.timeoutSeconds}), or the sweep could delete a message a running probe still waits for`,
      example: String(Math.max(3600, p.timeoutSeconds * 2)),
    });
  }
  if (p.received && p.received.forbiddenCidrs.length === 0 && p.received.expectedCidrs.length === 0) {
    issues.push({
      field: `${field}.received`,
      message: "needs forbiddenCidrs or expectedCidrs (or both), else it checks nothing",
      example: EXAMPLES.forbiddenCidrs,
    });
  }
  return {
    name: p.name,
    timeoutMs,
    sender,
    watchSender,
    to: p.to,
    paths,
    // The main route's rules; `watch --via` swaps in the watchSender's (watch/route.ts).
    received: sender.received,
    staleAfterMs,
    sweepDays: p.cleanup.sweepDays,
    kuma: resolveKuma(p.kuma, `${field}.kuma`, issues),
    schedule: p.schedule,
    relayCheck,
  };
}

/** A Kuma push URL, its token alone, and the token decoded (a server may echo it decoded). */
function kumaSecrets(url: string | undefined): string[] {
  if (!url) return [];
  const token = url.split("/").pop() ?? "";
  let decoded = token;
  try {
    decoded = decodeURIComponent(token);
  } catch {
    /* not percent-encoded */
  }
  return [url, token, decoded];
}

function collectSecrets(probes: ResolvedProbe[], extra: (string | undefined)[]): string[] {
  const out = new Set<string>();
  const add = (s: string | undefined) => {
    if (s && s.length >= 4) out.add(s);
  };
  for (const p of probes) {
    for (const s of [p.sender, p.watchSender]) if (s) senderModule(s.type).secrets(s).forEach(add);
    for (const k of [p.kuma, ...p.paths.map((x) => x.kuma)]) kumaSecrets(k?.pushUrl).forEach(add);
    for (const path of p.paths) add(path.password);
  }
  extra.forEach(add);
  return [...out].sort((a, b) => b.length - a.length);
}

/** The token MAC key: a dedicated secret of ≥ 32 bytes and ≥ 10 different characters (kept apart from every other secret: key-apart.ts). */
function resolveTokenKey(cfg: Config, issues: ConfigIssue[]): string | undefined {
  const key = secret(cfg, "tokenKey", "", issues, false);
  if (key === undefined) return undefined;
  if (Buffer.byteLength(key, "utf8") < TOKEN_KEY_MIN_BYTES) {
    issues.push({ field: "tokenKey", message: `must be at least ${TOKEN_KEY_MIN_BYTES} bytes of a random secret`, example: EXAMPLES.tokenKey });
  }
  if (new Set(key).size < TOKEN_KEY_MIN_DISTINCT) {
    const message = `must be a random secret: it holds fewer than ${TOKEN_KEY_MIN_DISTINCT} different characters`;
    issues.push({ field: "tokenKey", message, example: EXAMPLES.tokenKey });
  }
  return key;
}

/** The serve block resolved; with no block, the schema's defaults (they live in ServeSchema only). */
export function serveSettings(serve: ServeConfig = ServeSchema.parse({}), bearerToken?: string) {
  return {
    listen: serve.listen,
    port: serve.port,
    schedule: serve.schedule,
    runOnStart: serve.runOnStart,
    trigger: { enabled: serve.trigger.enabled, bearerToken, minIntervalMs: serve.trigger.minIntervalSeconds * 1000 },
    shutdownGraceMs: serve.shutdownGraceSeconds * 1000,
  };
}

/** Validates a parsed config object (already YAML-decoded). Throws ConfigError. */
export function resolveConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env, file?: string): LoadedConfig {
  const issues: ConfigIssue[] = [];
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError([{ field: "", message: "the file must hold a YAML mapping with a `probes` list", example: EXAMPLES.probes }], file);
  }
  const origins = new Map<string, string[]>();
  const interpolated = interpolate(raw as Json, env, [], issues, origins);
  const schema = configSchema();
  let parsed = schema.safeParse(interpolated);
  // A union may report a field only once another is fixed: a few rounds, each coercing what it can.
  const refused = new Set<string>();
  for (let round = 0; !parsed.success && round < 4 && coerceInterpolated(interpolated, parsed.error, origins, issues, refused); round++) {
    parsed = schema.safeParse(interpolated);
  }
  if (!parsed.success) throw new ConfigError([...issues, ...zodIssues(parsed.error).filter((i) => !refused.has(i.field))], file);
  const cfg = parsed.data;
  dangerousConfig(cfg, issues);
  issues.push(...wireIssues(cfg));

  const probeNames = new Set<string>();
  cfg.probes.forEach((p, i) => {
    if (probeNames.has(p.name)) issues.push({ field: `probes[${i}].name`, message: `duplicate probe name "${p.name}"` });
    probeNames.add(p.name);
  });
  const tokenKey = resolveTokenKey(cfg, issues);
  const probes = cfg.probes.map((p, i) => ({ ...resolveProbe(p, i, issues), tokenKey }));
  const trigger = cfg.serve?.trigger;
  const bearerToken = trigger ? secret(trigger, "bearerToken", "serve.trigger", issues, trigger.enabled) : undefined;
  const pg = cfg.pushgateway;
  const basicAuth = pg?.basicAuth && { user: pg.basicAuth.user, password: secret(pg.basicAuth, "password", "pushgateway.basicAuth", issues, true) ?? "" };
  const baseUrls = probes.flatMap((p) => [p.sender, p.watchSender].map((s) => (s as { baseUrl?: string } | undefined)?.baseUrl));
  const urlSecrets = [pg?.url, ...baseUrls].flatMap((u) => (u ? urlCredentials(u) : []));
  for (const s of urlSecrets) checkSecretLength(s, "pushgateway.url or sender.baseUrl (the password in the URL)", issues);
  issues.push(...tokenKeyApart(tokenKey, probes, { "the serve bearer token": bearerToken, "the Pushgateway password": basicAuth?.password }));
  if (issues.length) throw new ConfigError(issues, file);
  return {
    file,
    pushgateway: pg && { url: pg.url, job: pg.job, deployment: pg.deployment, timeoutMs: pg.timeoutSeconds * 1000, basicAuth },
    logLevel: cfg.log.level,
    serve: cfg.serve && serveSettings(cfg.serve, bearerToken),
    probes,
    secrets: collectSecrets(probes, [bearerToken, tokenKey, basicAuth?.password, ...urlSecrets]),
  };
}

/** Reads and validates a config file. Throws ConfigError naming the field and a right value. */
export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError([{ field: "", message: `cannot read the config file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` }], file);
  }
  const parsed = parseConfigYaml(text);
  if ("issue" in parsed) throw new ConfigError([parsed.issue], file);
  return resolveConfig(parsed.data, env, file);
}
