// The token key must be a secret of its own (issue 18 case 7): compared after every `…File` was
// read, against every secret of the config — IMAP and SMTP passwords, the Brevo API key, Kuma push
// tokens, the Pushgateway's Basic password, the serve bearer token. A key equal to one of them lets
// whoever holds that secret forge tokens the stale sweep would delete on.
import { senderModule } from "../core/sender.js";
import { EXAMPLES, type ConfigIssue } from "./issues.js";
import type { ResolvedProbe } from "./resolved.js";

/** What each resolved secret is, for the message. */
function namedSecrets(probes: ResolvedProbe[], extra: Record<string, string | undefined>): [string, string | undefined][] {
  const out: [string, string | undefined][] = Object.entries(extra);
  for (const p of probes) {
    for (const path of p.paths) out.push(["an IMAP password", path.password]);
    for (const s of [p.sender, p.watchSender]) if (s) for (const v of senderModule(s.type).secrets(s)) out.push([`the ${s.type} sender's secret`, v]);
    for (const k of [p.kuma, ...p.paths.map((x) => x.kuma)]) out.push(["a Kuma push token", k?.pushUrl.split("/").pop()]);
  }
  return out;
}

export function tokenKeyApart(key: string | undefined, probes: ResolvedProbe[], extra: Record<string, string | undefined>): ConfigIssue[] {
  if (!key) return [];
  const same = namedSecrets(probes, extra).find(([, v]) => v !== undefined && v === key);
  return same ? [{ field: "tokenKey", message: `must be its own secret, not ${same[0]}`, example: EXAMPLES.tokenKey }] : [];
}
