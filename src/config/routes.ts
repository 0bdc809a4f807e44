// The routes block of loading: each sender block resolved by its own module (its secrets and its own
// cross-field rules), with the route's Received rules merged over the probe's and its MX checks; and
// the relay-check entry points.
import { findSenderModule, type ResolveContext, type SenderConfig } from "../core/sender.js";
import { EXAMPLES, type ConfigIssue } from "./issues.js";
import type { ResolvedRelayCheck, ResolvedSender } from "./resolved.js";
import type { AuthResultsConfig, ProbeConfig, ReceivedConfig, RouteReceivedConfig, SpamConfig } from "./schema.js";
import { checkSecretLength, readCa, secret } from "./secrets.js";

/** The one "checks nothing" rule, for the probe's Received block and a route's merged one. */
export function checksSomething(r: ReceivedConfig, field: string, whose: string, issues: ConfigIssue[]): void {
  if (r.forbiddenCidrs.length || r.expectedCidrs.length) return;
  issues.push({ field, message: `needs forbiddenCidrs or expectedCidrs (${whose}), else it checks nothing`, example: EXAMPLES.forbiddenCidrs });
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
  const mta = route.mta ?? probe?.mta;
  if (mta) merged.mta = mta;
  checksSomething(merged, `${f}.received`, "its own or the probe's", issues);
  return merged;
}

/** The MX's Authentication-Results check of a route: its authserv-id defaults to the first literal mxHosts entry. */
function routeAuthResults(authResults: AuthResultsConfig, mxHosts: string[] | undefined, f: string, issues: ConfigIssue[]) {
  const authservId = authResults.authservId ?? mxHosts?.find((h) => !h.includes("*"));
  // The MX's header is located from the entry hop, which received.mxHosts finds.
  if (!mxHosts) {
    issues.push({
      field: `${f}.authResults`,
      message: "needs received.mxHosts (the probe's or the route's: they locate the MX's header)",
      example: "received: { mxHosts: [mx.example.com], forbiddenCidrs: [10.42.0.0/16] }",
    });
    return undefined;
  }
  if (!authservId) {
    issues.push({ field: `${f}.authResults.authservId`, message: "is required when every received.mxHosts entry is a wildcard", example: "mail.example.com" });
    return undefined;
  }
  return { ...authResults, authservId: authservId.toLowerCase() };
}

/** One sender block: its module resolves its own fields; the route's Received rules and MX checks are resolved here. */
export function resolveSender(s: SenderConfig, f: string, issues: ConfigIssue[], probe: ProbeConfig, probeField: string): ResolvedSender {
  const ctx: ResolveContext = {
    field: f,
    secret: (key, required, wire) => secret(s, key, f, issues, required, wire),
    readFile: (file, key) => readCa(file, `${f}.${key}`, issues),
    issue: (key, message, ex) => issues.push({ field: `${f}.${key}`, message, example: ex }),
    checkSecret: (value, key) => checkSecretLength(value, `${f}.${key}`, issues),
  };
  const { received, authResults, spam, ...own } = s as SenderConfig & { received?: RouteReceivedConfig; authResults?: AuthResultsConfig; spam?: SpamConfig };
  // The schema admits only registered types, so the module is there.
  const module = findSenderModule(s.type);
  const resolved: ResolvedSender = { ...(module ? module.resolve(own, ctx) : s), received: routeReceived(probe.received, received, probeField, f, issues) };
  if (spam) resolved.spam = spam;
  const checked = authResults && routeAuthResults(authResults, resolved.received?.mxHosts, f, issues);
  if (checked) resolved.authResults = checked;
  return resolved;
}

/** The relay-check entry points: names unique, `sender` reserved, CA read, MAIL FROM defaulting to the sender's. */
export function resolveRelayChecks(p: ProbeConfig, field: string, issues: ConfigIssue[]): ResolvedRelayCheck[] {
  const entries = new Set<string>();
  return (p.relayCheck ?? []).map((r, j): ResolvedRelayCheck => {
    if (entries.has(r.name)) issues.push({ field: `${field}.relayCheck[${j}].name`, message: `duplicate entry name "${r.name}"` });
    // `sender` is the SMTP sender route's listener in mailprobe_smtp_tls_cert_expiry_timestamp_seconds.
    if (r.name === "sender")
      issues.push({ field: `${field}.relayCheck[${j}].name`, message: "is reserved for the SMTP sender's listener", example: "public-smtp" });
    entries.add(r.name);
    const { timeoutSeconds, mailFrom, ...rest } = r;
    return { ...rest, mailFrom: mailFrom ?? p.sender.from, ca: readCa(r.caFile, `${field}.relayCheck[${j}].caFile`, issues), timeoutMs: timeoutSeconds * 1000 };
  });
}
