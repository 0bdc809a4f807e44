// Dangerous configs outside the senders, refused at load before any network I/O: Pushgateway
// credentials that would travel in clear, a listen address that needs DNS. Each sender module
// brings its own such rules through its contract (core/sender.ts `resolve`).
import ipaddr from "ipaddr.js";
import type { ConfigIssue } from "./issues.js";
import type { Config } from "./schema.js";
import type { ResolvedProbe } from "./resolved.js";
import { slotKey } from "../core/slots.js";
import { isClearTextRemote, urlCredentials } from "./urls.js";

/** Every rule that looks at the parsed config as a whole. */
export function dangerousConfig(cfg: Config, issues: ConfigIssue[]): void {
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

/**
 * A probe whose paths log in as one user at one host more often than the session cap would wait on
 * itself (its open paths hold their slots until its cleanup): refused, naming the paths.
 */
export function sessionsWithinCap(p: ResolvedProbe, i: number, cap: number, issues: ConfigIssue[]): void {
  const byKey = new Map<string, number[]>();
  p.paths.forEach((path, j) => byKey.set(slotKey(path), [...(byKey.get(slotKey(path)) ?? []), j]));
  for (const js of byKey.values()) {
    if (js.length <= cap) continue;
    const first = p.paths[js[0]!]!;
    issues.push({
      field: `probes[${i}].paths[${js[cap]}]`,
      message: `${js.length} paths log in as ${first.user} at ${first.host}, more than imapSessionsPerUser (${cap}) sessions at once: the probe would wait on itself; raise imapSessionsPerUser (keep it below the server's limit, Dovecot's mail_max_userip_connections) or use fewer paths`,
    });
  }
}
