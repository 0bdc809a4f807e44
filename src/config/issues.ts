// Config problems, said so that they can be fixed: the field, what is wrong, a right value; and
// ${ENV} interpolation, which records its own issues. The secret and CA readers are ./secrets.ts.
import type * as z from "zod/mini";
import { senderModules, senderTypeList } from "../core/sender.js";

export interface ConfigIssue {
  /** Where, e.g. `probes[0].paths[1].port`. */
  field: string;
  message: string;
  /** A right value, e.g. `993`. */
  example?: string;
}

/** One line per problem: a field inherited by several paths is one problem where it is written. */
function unique(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.field}\0${i.message}`;
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(
    issues: ConfigIssue[],
    readonly file?: string,
  ) {
    issues = unique(issues);
    super(
      `invalid configuration${file ? ` in ${file}` : ""}:\n` +
        issues.map((i) => `  ${i.field || "(top level)"}: ${i.message}${i.example ? ` (e.g. ${lastName(i.field)}: ${i.example})` : ""}`).join("\n"),
    );
    this.issues = issues;
    this.name = "ConfigError";
  }
}

/** Examples of right values, by field name; shown next to an error about that field. */
export const EXAMPLES: Record<string, string> = {
  name: '"inbound"',
  probes: "[{ name: inbound, sender: …, to: …, paths: […] }]",
  paths: "[{ name: external, host: imap.example.com, port: 993 }]",
  host: '"imap.example.com"',
  port: "993",
  security: '"tls"',
  to: '"probe@example.com"',
  from: '"probe@example.com"',
  user: '"probe@example.com"',
  password: '"${IMAP_PASSWORD}" or passwordFile: /run/secrets/imap-password',
  pushUrl: '"https://kuma.example.com/api/push/AbCdEf" or pushUrlFile: /run/secrets/kuma-url',
  bearerToken: '"${TRIGGER_TOKEN}" or bearerTokenFile: /run/secrets/trigger-token',
  url: '"http://pushgateway.monitoring:9091"',
  mxHosts: '["mx.example.com"]',
  forbiddenCidrs: '["10.42.0.0/16", "192.168.1.1/32"]',
  expectedCidrs: '["1.179.112.0/20"]',
  timeoutSeconds: "120",
  staleAfterSeconds: "3600",
  sourceAddress: '"203.0.113.7"',
  caFile: '"/etc/mailprobe/ca.crt"',
  servername: '"mx.example.com"',
  level: '"info"',
  tokenKey: '"${MAILPROBE_TOKEN_KEY}" or tokenKeyFile: /run/secrets/mailprobe/token-key (make one with `openssl rand -hex 32`)',
  minIntervalSeconds: "60",
  schedule: '"*/20 * * * *"',
};

/** The "sender.type" issue text and example, from the sender registry. */
export function senderTypes(): { list: string; example: string } {
  const first = senderModules()[0];
  return { list: senderTypeList(), example: first ? `"${first.type}"` : "" };
}

/** Examples of right values, the sender modules' secret fields included. */
export function example(key: string): string | undefined {
  if (key === "type") return senderTypes().list;
  for (const m of senderModules()) if (m.secretFields?.[key] && !EXAMPLES[key]) return m.secretFields[key];
  return EXAMPLES[key];
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export const fieldName = (path: PropertyKey[]): string =>
  path.reduce<string>((acc, p) => (typeof p === "number" ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)), "");

/** `probes[0].paths[1].port` → `port`. */
export function lastName(field: string): string {
  return (
    field
      .split(".")
      .pop()
      ?.replace(/\[\d+\]$/, "") ?? ""
  );
}

/** Examples that depend on where the field is, by its last two names: not every port is IMAPS's. */
const EXAMPLES_AT: Record<string, string> = { "serve.port": "9465", "sender.port": "587", "watchSender.port": "587", "relayCheck.port": "25" };

export function exampleFor(field: string): string | undefined {
  const at = field
    .replace(/\[\d+\]/g, "")
    .split(".")
    .slice(-2)
    .join(".");
  return EXAMPLES_AT[at] ?? example(lastName(field).replace(/File$/, ""));
}

/**
 * Replaces ${VAR} and ${VAR:-default} in every string; $${ stays a literal ${. `origins` records,
 * by field, the variables a string was made of (for coercion to numbers and booleans, ./coerce.ts).
 */
export function interpolate(value: Json, env: NodeJS.ProcessEnv, path: PropertyKey[], issues: ConfigIssue[], origins?: Map<string, string[]>): Json {
  if (typeof value === "string") {
    return value.replace(/\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (whole, escaped: string, name: string, def?: string) => {
      if (escaped) return whole.slice(1);
      if (origins) {
        const key = fieldName(path);
        origins.set(key, [...(origins.get(key) ?? []), name]);
      }
      const v = env[name];
      if (v !== undefined && v !== "") return v;
      if (def !== undefined) return def;
      issues.push({ field: fieldName(path), message: `environment variable ${name} is not set`, example: `\${${name}:-a default}` });
      return "";
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...path, i], issues, origins));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, [...path, k], issues, origins)]));
  }
  return value;
}

export function zodIssues(error: z.core.$ZodError): ConfigIssue[] {
  return error.issues.map((issue) => {
    const field = fieldName(issue.path);
    if (issue.code === "unrecognized_keys") {
      const keys = issue.keys.map((k) => `"${k}"`).join(", ");
      return { field, message: `unknown field${issue.keys.length > 1 ? "s" : ""} ${keys}: remove or correct the spelling (README: Configuration)` };
    }
    if (issue.code === "invalid_union" && field.endsWith("sender")) {
      return { field: `${field}.type`, message: `must be ${senderTypes().list}`, example: senderTypes().example };
    }
    let message = issue.message;
    if (issue.code === "invalid_type" && /received undefined/.test(message)) message = "is required";
    return { field, message, example: exampleFor(field) };
  });
}
