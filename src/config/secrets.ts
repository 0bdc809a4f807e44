// The secrets block of loading: `key` or `keyFile` read, CA files read, the token MAC key checked,
// and every secret value the config holds gathered for redaction. Each reader records its own issues.
import { readFileSync } from "node:fs";
import { findSenderModule, type SecretWire } from "../core/sender.js";
import { nodeCrypto } from "../core/node-crypto.js";
import { TOKEN_KEY_MIN_BYTES, TOKEN_KEY_MIN_DISTINCT } from "../core/token.js";
import { EXAMPLES, example, type ConfigIssue } from "./issues.js";
import { looksLikeCertificate } from "./pem.js";
import type { ResolvedProbe } from "./resolved.js";
import type { Config } from "./schema.js";
import { headerSecretProblem } from "./wire.js";

/** Shorter secrets cannot be redacted from output without wrecking it (they match ordinary words). */
export const MIN_SECRET_LENGTH = 8;

export const TOO_SHORT = `is shorter than ${MIN_SECRET_LENGTH} characters: too short to redact from output; use a longer secret (e.g. openssl rand -hex 16)`;

/** A secret that is set but too short: an issue naming where it is written, never its value. */
export function checkSecretLength(value: string | undefined, field: string, issues: ConfigIssue[]): void {
  if (value === undefined || value.length >= MIN_SECRET_LENGTH) return;
  issues.push({ field, message: TOO_SHORT });
}

export function readSecretFile(file: string, field: string, issues: ConfigIssue[]): string | undefined {
  try {
    // Secret mounts and `echo > file` end in a newline (or two); a secret never does.
    const value = readFileSync(file, "utf8").replace(/[\r\n]+$/, "");
    if (!value) issues.push({ field, message: `${file} is empty: put the secret in it (a Kubernetes Secret key with no value mounts as an empty file)` });
    return value || undefined;
  } catch (err) {
    issues.push({ field, message: `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    return undefined;
  }
}

/** Resolves `key` or `keyFile` of an object: exactly one must be given when `required`; `wire`: checked against that grammar once read. */
export function secret(
  obj: Record<string, unknown>,
  key: string,
  field: string,
  issues: ConfigIssue[],
  required: boolean,
  wire?: SecretWire,
): string | undefined {
  const inline = obj[key] as string | undefined;
  const file = obj[`${key}File`] as string | undefined;
  const at = (k: string) => (field ? `${field}.${k}` : k);
  if (inline !== undefined && file !== undefined) {
    issues.push({ field: at(key), message: `give either ${key} or ${key}File, not both` });
    return undefined;
  }
  const given = file !== undefined ? `${key}File` : key;
  const value = file !== undefined ? readSecretFile(file, at(given), issues) : inline;
  if (value === undefined && file === undefined && required) issues.push({ field: at(key), message: `is required (or ${key}File)`, example: example(key) });
  checkSecretLength(value, at(given), issues);
  const problem = value !== undefined && wire === "http-header" ? headerSecretProblem(value) : undefined;
  if (problem) issues.push({ field: at(given), message: problem });
  return value;
}

export function readCa(file: string | undefined, field: string, issues: ConfigIssue[]): string | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    issues.push({ field, message: `cannot read CA file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
    return undefined;
  }
  // The outline check spares node:crypto (./pem.ts); where it says no, X509Certificate decides.
  if (looksLikeCertificate(text)) return text;
  try {
    new (nodeCrypto().X509Certificate)(text);
    return text;
  } catch {
    issues.push({ field, message: `${file} is not a PEM certificate (-----BEGIN CERTIFICATE-----): give the CA's certificate, not a key or a DER file` });
    return undefined;
  }
}

/** The token MAC key: a dedicated secret of ≥ 32 bytes and ≥ 10 different characters (kept apart from every other secret once all are read: key-apart.ts). */
export function resolveTokenKey(cfg: Config, issues: ConfigIssue[]): string | undefined {
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

/** Every secret value of the resolved probes and `extra`, longest first (for the redactor). */
export function collectSecrets(probes: ResolvedProbe[], extra: (string | undefined)[]): string[] {
  const out = new Set<string>();
  const add = (s: string | undefined) => {
    if (s && s.length >= 4) out.add(s);
  };
  for (const p of probes) {
    for (const s of [p.sender, p.watchSender]) if (s) findSenderModule(s.type)?.secrets(s).forEach(add);
    for (const k of [p.kuma, ...p.paths.map((x) => x.kuma)]) kumaSecrets(k?.pushUrl).forEach(add);
    for (const path of p.paths) add(path.password);
  }
  extra.forEach(add);
  return [...out].sort((a, b) => b.length - a.length);
}
