// Field types shared by the config schema and the sender modules' own schemas.
import ipaddr from "ipaddr.js";
import * as z from "zod/mini";
import en from "zod/v4/locales/en.js";
import { isCronExpression } from "./cron.js";

// zod/mini (issue 23): the classic API builds each schema object with its ~40 methods, ~220 of them
// per start; mini's are plain. Its messages are English as classic's were (mini sets no locale).
// A config is parsed once per start (and per reload): zod's JIT (a `new Function` per object schema,
// after probing `globalThis.navigator`, which loads Node's navigator module) costs more than it saves.
z.config({ ...en(), jitless: true });

/** A duration in seconds with a default and a sane maximum (a day unless said). */
export const seconds = (def: number, max = 86_400) => z._default(z.number().check(z.positive(), z.maximum(max)), def);

// Patterns for the chart's values.schema.json (z.toJSONSchema carries .meta): a refine is invisible
// to JSON Schema, so each says what it can in RE2 (helm's validator), a ${VAR} allowed too (it is
// interpolated before the schema). The refine stays the judge at load time.
/** `${VAR}` or `${VAR:-default}`, anchored. */
export const ENV_PATTERN = "^\\$\\{[A-Za-z_][A-Za-z0-9_]*(:-[^}]*)?\\}$";
const orEnv = (p: string) => `(?:${p})|(?:${ENV_PATTERN})`;
const OCTET = "(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";
const CIDR_PATTERN = `^(${OCTET}\\.){3}${OCTET}/(3[0-2]|[12]?[0-9])$|^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*/(12[0-8]|1[01][0-9]|[1-9]?[0-9])$`;
const URL_PATTERN = "^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#@]+(/\\S*)?$|^[Hh][Tt][Tt][Pp][Ss]?://[^\\s/?#]*@[^\\s/?#]+(/\\S*)?$";
const CRON_FIELD = "[A-Za-z0-9*/,#?-]+";
const IP_PATTERN = `^(${OCTET}\\.){3}${OCTET}$|^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$`;
export const CRON_PATTERN = `^ *${CRON_FIELD}( +${CRON_FIELD}){4,5} *$|^ *@(yearly|annually|monthly|weekly|daily|midnight|hourly) *$`;

/** A string that must pass `ok`, with `message` when it does not; `pattern` for the chart's JSON Schema. */
const judged = (ok: (v: string) => boolean, message: string, pattern?: string) =>
  z.string().check(z.refine(ok, { message }), ...(pattern ? [z.meta({ pattern: orEnv(pattern) })] : []));

export const cidr = judged(
  (v) => {
    try {
      ipaddr.parseCIDR(v);
      return true;
    } catch {
      return false;
    }
  },
  "not a CIDR range",
  CIDR_PATTERN,
);

export const httpUrl = judged(
  (v) => {
    try {
      const u = new URL(v);
      return u.protocol === "http:" || u.protocol === "https:";
    } catch {
      return false;
    }
  },
  "not an http(s) URL",
  URL_PATTERN,
);

export const name = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { message: "must be lower-case letters, digits, '_' or '-' (it becomes a metric label)" }));

export const cronExpr = judged((v) => isCronExpression(v), "not a cron expression (5 fields, or 6 with seconds)", CRON_PATTERN);

export const email = z.string().check(z.regex(/^[^\s@<>]+@[^\s@<>]+$/, { message: "not an e-mail address" }));

/** A non-empty string. */
export const text = () => z.string().check(z.minLength(1));

/** An integer in [min, max]. */
export const int = (min: number, max: number) => z.number().check(z.int(), z.minimum(min), z.maximum(max));

export const port = () => int(1, 65535);

/** A secret is given inline (often as ${ENV}) or as a file path (Kubernetes secret mounts). */
export function secretPair<K extends string>(key: K) {
  return { [key]: z.optional(text()), [`${key}File`]: z.optional(text()) } as {
    [P in K | `${K}File`]: z.ZodMiniOptional<z.ZodMiniString>;
  };
}

export const ProxyProtocolSchema = z.strictObject({
  /** The client address the PROXY v2 header claims. */
  sourceAddress: judged((v) => ipaddr.isValid(v), "not an IP address", IP_PATTERN),
  sourcePort: z._default(port(), 40000),
});

export type ProxyProtocolConfig = z.infer<typeof ProxyProtocolSchema>;

/**
 * The Uptime Kuma push-URL rule (loader and doctor): http(s), `…/api/push/<token>`. Kuma shows the
 * URL with `?status=up&msg=OK&ping=`; the query is dropped (the Kuma sink sets its own), so the
 * stored URL and its token stay the secret. Returns the URL without query, or undefined.
 */
export function kumaPushUrl(text: string): string | undefined {
  try {
    const u = new URL(text);
    if ((u.protocol !== "http:" && u.protocol !== "https:") || !/\/api\/push\/[^/]+$/.test(u.pathname)) return undefined;
    u.search = "";
    u.hash = "";
    return u.toString();
  } catch {
    return undefined;
  }
}

export const isKumaPushUrl = (text: string): boolean => kumaPushUrl(text) !== undefined;

/** Where an SMTP listener is and how to reach it: the SMTP sender and the relay check share these. */
export const smtpEndpointFields = {
  host: text(),
  port: port(),
  /** starttls (25/587, required), tls (465, implicit), none. */
  security: z._default(z.enum(["tls", "starttls", "none"]), "starttls"),
  servername: z.optional(z.string()),
  caFile: z.optional(z.string()),
  /** The local address to connect from (for a relay check: outside mynetworks, so the check is a stranger's). */
  localAddress: z.optional(z.string()),
};
