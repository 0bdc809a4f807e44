// Every config value that mailprobe writes into a protocol line is checked against that line's
// grammar at load (issue 18 case 6: a `heloName` holding CR LF made the relay check send a whole
// message). One rule per kind of value — EHLO name, address, mailbox name, header value, IMAP user,
// host name, URL part — applied wherever such a value can be set. Pure: reads the parsed config.
import ipaddr from "ipaddr.js";
import { decodeMutf7, encodeMutf7 } from "../core/mutf7.js";
import type { ConfigIssue } from "./issues.js";
import type { Config } from "./schema.js";

type Rule = (v: string) => string | undefined;

const CONTROL = /[\u0000-\u001f\u007f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?";
const DOMAIN = new RegExp(`^${LABEL}(?:\\.${LABEL})*\\.?$`);
// Host names to connect to may hold `_` (container and compose service names); EHLO names may not.
const HOST_LABEL = "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?";
const HOST = new RegExp(`^${HOST_LABEL}(?:\\.${HOST_LABEL})*\\.?$`);

const isIp = (v: string) => ipaddr.isValid(v);
const control = (v: string) => (CONTROL.test(v) ? "holds a control character (CR, LF, NUL, TAB…): it would end the protocol line" : undefined);

/** RFC 5321 EHLO/HELO argument: a domain or an address literal. */
const ehloName: Rule = (v) =>
  control(v) ??
  (DOMAIN.test(v) || /^\[(?:IPv6:)?[0-9A-Fa-f:.]+\]$/.test(v)
    ? undefined
    : "is not a domain name or address literal (RFC 5321 EHLO): letters, digits, '-' and '.'");

/** RFC 5321 Mailbox as MAIL FROM/RCPT TO and the From header carry it. */
const address: Rule = (v) => {
  if (control(v) || /\s/.test(v)) return "holds a space or control character: not an address (RFC 5321)";
  const at = v.lastIndexOf("@");
  const domain = v.slice(at + 1);
  if (at < 1 || /[<>()\[\]\\,;:"]/.test(v.slice(0, at))) return 'is not an address local-part@domain (RFC 5321): no <>()[]\\,;:" in the local part';
  if (!DOMAIN.test(domain) && !/^\[[0-9A-Fa-f:.]+\]$/.test(domain) && !/^[^\s@<>]+$/u.test(domain)) return "has no valid domain";
  return undefined;
};

/** An IMAP mailbox name as written in the config (mailprobe encodes it for the server). */
const mailbox: Rule = (v) => {
  if (control(v)) return "holds a control character: not a mailbox name";
  if (/[*%]/.test(v)) return "holds * or %: LIST wildcards are not mailbox names";
  if (LONE_SURROGATE.test(v)) return "is not valid Unicode (a lone surrogate)";
  if (decodeMutf7(encodeMutf7(v)) !== v) return "cannot be written in modified UTF-7 (RFC 3501)";
  const decoded = decodeMutf7(v);
  if (/&[A-Za-z0-9+,]+-/.test(v) && decoded !== undefined && decoded !== v)
    return `is written in modified UTF-7: write it as it reads ("${decoded}"); mailprobe encodes it for the server`;
  return undefined;
};

/** A header field's value (RFC 5322): no line breaks. */
const headerValue: Rule = (v) => control(v);

/** An IMAP user name (sent as a quoted string or SASL PLAIN): no CR, LF or NUL. */
const imapUser: Rule = (v) => (/[\r\n\0]/.test(v) ? "holds CR, LF or NUL: not sendable in LOGIN or AUTHENTICATE" : undefined);

/** A host to connect to, and the TLS server name: a DNS name or an IP literal. */
const host: Rule = (v) => (isIp(v.replace(/^\[|\]$/g, "")) || HOST.test(v) ? undefined : "is not a host name or IP address");

/** A value written into a URL path or a grouping label (percent-encoded, but never a control character). */
const urlPart: Rule = (v) => control(v);

/** HTTP Basic's user-id (RFC 7617): no colon, no control character. */
const basicUser: Rule = (v) => control(v) ?? (v.includes(":") ? "holds ':': HTTP Basic cannot carry it in a user name (RFC 7617)" : undefined);

/**
 * A secret that travels as an HTTP header value (Brevo's `api-key`, a bearer token): visible ASCII
 * only (no space). Node refuses CR, LF and other control characters at send time, and writes a character above
 * U+00FF (or a UTF-8 one as a Latin-1 byte) as something else than what the config holds. Says
 * where, never what: the value is a secret.
 */
export function headerSecretProblem(v: string): string | undefined {
  const bad = /[^\x21-\x7e]/.exec(v);
  if (!bad) return undefined;
  const at = `at character ${bad.index + 1}`;
  // HTTP drops a header value's leading and trailing spaces on the way (and a key or token has none).
  if (bad[0] === " ") return `holds a space ${at}: an HTTP header value loses it on the way (keys and tokens have none: remove it)`;
  if (CONTROL.test(bad[0]))
    return `holds a line break or another control character ${at}: an HTTP header cannot carry it (a secret file holds one line: the key alone)`;
  return `holds a character outside ASCII ${at}: an HTTP header cannot carry it as written (copy the key again: API keys are ASCII)`;
}

const SMTP_FIELDS: [string, Rule][] = [
  ["from", address],
  ["fromName", headerValue],
  ["heloName", ehloName],
  ["host", host],
  ["servername", host],
];
const IMAP_FIELDS: [string, Rule][] = [
  ["user", imapUser],
  ["host", host],
  ["servername", host],
  ["mailbox", mailbox],
  ["junkMailbox", mailbox],
  ["trashMailbox", mailbox],
];
const RELAY_FIELDS: [string, Rule][] = [
  ["heloName", ehloName],
  ["mailFrom", address],
  ["rcptTo", address],
  ["host", host],
  ["servername", host],
];

function check(issues: ConfigIssue[], at: string, obj: unknown, fields: [string, Rule][]): void {
  if (!obj || typeof obj !== "object") return;
  for (const [key, rule] of fields) {
    const v = (obj as Record<string, unknown>)[key];
    if (typeof v !== "string") continue;
    const why = rule(v);
    if (why) issues.push({ field: `${at}.${key}`, message: why });
  }
}

/** The wire-grammar issues of a parsed config (none when every protocol value is writable as is). */
export function wireIssues(cfg: Config): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  cfg.probes.forEach((p, i) => {
    const at = `probes[${i}]`;
    const to = address(p.to);
    if (to) issues.push({ field: `${at}.to`, message: to });
    check(issues, `${at}.sender`, p.sender, SMTP_FIELDS);
    check(issues, `${at}.watchSender`, p.watchSender, SMTP_FIELDS);
    check(issues, `${at}.imap`, p.imap, IMAP_FIELDS);
    p.paths.forEach((x, j) => check(issues, `${at}.paths[${j}]`, x, IMAP_FIELDS));
    (p.relayCheck ?? []).forEach((r, k) => check(issues, `${at}.relayCheck[${k}]`, r, RELAY_FIELDS));
  });
  check(issues, "pushgateway", cfg.pushgateway, [
    ["job", urlPart],
    ["deployment", urlPart],
  ]);
  check(issues, "pushgateway.basicAuth", cfg.pushgateway?.basicAuth, [["user", basicUser]]);
  return issues;
}
