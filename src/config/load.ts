// Loads a config file: YAML → ${ENV} interpolation → schema → each block resolved by its own module
// (./paths.ts, ./routes.ts, ./secrets.ts; a sender block by its sender module) into the shapes of
// ./resolved.ts. Everything is checked before any network I/O; every problem names its field.
import { readFileSync } from "node:fs";
import { coerceInterpolated } from "./coerce.js";
import { ConfigError, EXAMPLES, interpolate, zodIssues, type ConfigIssue, type Json } from "./issues.js";
import { resolveKuma, resolvePaths } from "./paths.js";
import type { LoadedConfig, ResolvedProbe, ServeSettings } from "./resolved.js";
import { checksSomething, resolveRelayChecks, resolveSender } from "./routes.js";
import { dangerousConfig, sessionsWithinCap } from "./rules.js";
import { configSchema, ServeSchema, type Config, type ProbeConfig, type ServeConfig } from "./schema.js";
import { checkSecretLength, collectSecrets, resolveTokenKey, secret } from "./secrets.js";
import { urlCredentials } from "./urls.js";
import { wireIssues } from "./wire.js";
import { tokenKeyApart } from "./key-apart.js";
import { parseConfigYaml } from "./yaml.js";

export { ConfigError, type ConfigIssue } from "./issues.js";
export type { LoadedConfig, ResolvedKuma, ResolvedPath, ResolvedProbe, ResolvedRelayCheck, ResolvedSender, RouteChecks, ServeSettings } from "./resolved.js";

function resolveProbe(p: ProbeConfig, i: number, issues: ConfigIssue[]): ResolvedProbe {
  const field = `probes[${i}]`;
  const sender = resolveSender(p.sender, `${field}.sender`, issues, p, field);
  const watchSender = p.watchSender ? resolveSender(p.watchSender, `${field}.watchSender`, issues, p, field) : undefined;
  const relayCheck = resolveRelayChecks(p, field, issues);
  const paths = resolvePaths(p, field, issues);
  const timeoutMs = p.timeoutSeconds * 1000;
  const staleAfterMs = p.cleanup.staleAfterSeconds * 1000;
  if (staleAfterMs <= timeoutMs) {
    issues.push({
      field: `${field}.cleanup.staleAfterSeconds`,
      message: `must be longer than the probe's timeoutSeconds (${p.timeoutSeconds}), or the sweep could delete a message a running probe still waits for`,
      example: String(Math.max(3600, p.timeoutSeconds * 2)),
    });
  }
  if (p.received) checksSomething(p.received, `${field}.received`, "or both", issues);
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

/** The serve block resolved; with no block, the schema's defaults (they live in ServeSchema only). */
export function serveSettings(serve: ServeConfig = ServeSchema.parse({}), bearerToken?: string): ServeSettings {
  return {
    listen: serve.listen,
    port: serve.port,
    schedule: serve.schedule,
    runOnStart: serve.runOnStart,
    trigger: { enabled: serve.trigger.enabled, bearerToken, minIntervalMs: serve.trigger.minIntervalSeconds * 1000 },
    shutdownGraceMs: serve.shutdownGraceSeconds * 1000,
    push: serve.push,
  };
}

/** ${ENV} interpolated, then the schema; a union may report a field only once another is fixed, so a few rounds coerce what they can. */
function parse(raw: unknown, env: NodeJS.ProcessEnv, file: string | undefined, issues: ConfigIssue[]): Config {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new ConfigError([{ field: "", message: "the file must hold a YAML mapping with a `probes` list", example: EXAMPLES.probes }], file);
  }
  const origins = new Map<string, string[]>();
  const interpolated = interpolate(raw as Json, env, [], issues, origins);
  const schema = configSchema();
  let parsed = schema.safeParse(interpolated);
  const refused = new Set<string>();
  for (let round = 0; !parsed.success && round < 4 && coerceInterpolated(interpolated, parsed.error, origins, issues, refused); round++) {
    parsed = schema.safeParse(interpolated);
  }
  if (!parsed.success) throw new ConfigError([...issues, ...zodIssues(parsed.error).filter((i) => !refused.has(i.field))], file);
  return parsed.data;
}

/** Validates a parsed config object (already YAML-decoded). Throws ConfigError. */
export function resolveConfig(raw: unknown, env: NodeJS.ProcessEnv = process.env, file?: string): LoadedConfig {
  const issues: ConfigIssue[] = [];
  const cfg = parse(raw, env, file, issues);
  dangerousConfig(cfg, issues);
  issues.push(...wireIssues(cfg));
  const probeNames = new Set<string>();
  cfg.probes.forEach((p, i) => {
    if (probeNames.has(p.name)) issues.push({ field: `probes[${i}].name`, message: `duplicate probe name "${p.name}"` });
    probeNames.add(p.name);
  });
  const tokenKey = resolveTokenKey(cfg, issues);
  const probes = cfg.probes.map((p, i) => ({ ...resolveProbe(p, i, issues), tokenKey }));
  probes.forEach((p, i) => sessionsWithinCap(p, i, cfg.imapSessionsPerUser, issues));
  const trigger = cfg.serve?.trigger;
  const bearerToken = trigger ? secret(trigger, "bearerToken", "serve.trigger", issues, trigger.enabled, "http-header") : undefined;
  const pg = cfg.pushgateway;
  const basicAuth = pg?.basicAuth && { user: pg.basicAuth.user, password: secret(pg.basicAuth, "password", "pushgateway.basicAuth", issues, true) ?? "" };
  const urlSecrets = pg ? urlCredentials(pg.url) : [];
  for (const s of urlSecrets) checkSecretLength(s, "pushgateway.url (the password in the URL)", issues);
  issues.push(...tokenKeyApart(tokenKey, probes, { "the serve bearer token": bearerToken, "the Pushgateway password": basicAuth?.password }));
  if (issues.length) throw new ConfigError(issues, file);
  return {
    file,
    pushgateway: pg && { url: pg.url, job: pg.job, deployment: pg.deployment, timeoutMs: pg.timeoutSeconds * 1000, basicAuth },
    logLevel: cfg.log.level,
    serve: cfg.serve && serveSettings(cfg.serve, bearerToken),
    probes,
    imapSessionsPerUser: cfg.imapSessionsPerUser,
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
