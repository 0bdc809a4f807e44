// Dangerous configs, refused at load before any network I/O: a password that would travel in clear,
// a listen address that needs DNS, a secret too short to redact. Each issue names the field and the fix.
import ipaddr from "ipaddr.js";
import type { ConfigIssue } from "./issues.js";
import type { Config } from "./schema.js";
import { isClearTextRemote, urlCredentials } from "./urls.js";

/** Shorter secrets cannot be redacted from output without wrecking it (they match ordinary words). */
export const MIN_SECRET_LENGTH = 8;

/** A secret that is set but too short: an issue naming where it is written, never its value. */
export function checkSecretLength(value: string | undefined, field: string, issues: ConfigIssue[]): void {
  if (value === undefined || value.length >= MIN_SECRET_LENGTH) return;
  issues.push({
    field,
    message: `is shorter than ${MIN_SECRET_LENGTH} characters: too short to redact from output; use a longer secret (e.g. openssl rand -hex 16)`,
  });
}

type Sender = Config["probes"][number]["sender"];

function senderRules(s: Sender, f: string, issues: ConfigIssue[]): void {
  const block = s as Record<string, unknown>;
  if (s.type === "smtp" && block.security === "none" && (block.user !== undefined || block.password !== undefined || block.passwordFile !== undefined)) {
    issues.push({
      field: `${f}.security`,
      message: "is none but user/password are set: the password would travel in clear; use security: starttls (port 587) or tls (port 465)",
      example: '"starttls"',
    });
  }
  if (s.type === "brevo" && typeof block.baseUrl === "string" && isClearTextRemote(block.baseUrl)) {
    issues.push({
      field: `${f}.baseUrl`,
      message: "is plain http:// to a host that is not loopback: the API key would travel in clear; use https://",
      example: '"https://api.brevo.com/v3"',
    });
  }
}

/** Every rule that looks at the parsed config as a whole. */
export function dangerousConfig(cfg: Config, issues: ConfigIssue[]): void {
  cfg.probes.forEach((p, i) => {
    senderRules(p.sender, `probes[${i}].sender`, issues);
    if (p.watchSender) senderRules(p.watchSender, `probes[${i}].watchSender`, issues);
  });
  const pg = cfg.pushgateway;
  if (pg && (pg.basicAuth || urlCredentials(pg.url).length) && isClearTextRemote(pg.url)) {
    issues.push({
      field: pg.basicAuth ? "pushgateway.basicAuth" : "pushgateway.url",
      message: "sends credentials over plain http:// to a host that is not loopback: use an https:// url (or drop the credentials)",
      example: '"https://pushgateway.example.com"',
    });
  }
  const listen = cfg.serve?.listen;
  if (listen !== undefined && listen !== "localhost" && !ipaddr.isValid(listen)) {
    issues.push({
      field: "serve.listen",
      message: "must be an IP literal or localhost (a host name is not resolved)",
      example: '"0.0.0.0" or "127.0.0.1" or "::"',
    });
  }
}
