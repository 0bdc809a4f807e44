// The policy over the MX's Authentication-Results: which required method failed (auth_failed), and
// how a lost real client IP explains what the MX's checks said. Pure.
import { AUTH_METHODS, type AuthMethod, type AuthMethodResult, type AuthResults } from "../core/result.js";

/** A `none` where the filter checked none of spf, dkim, dmarc (not one that could not be read). */
const skipped = (ar: AuthResults) => !ar.note?.includes("could not be read");

/** One method in `spf=pass` form, with DKIM's domain and alignment. */
export function methodPhrase(m: AuthMethod, r: AuthMethodResult | undefined): string {
  if (!r) return `${m}=-`;
  if (m === "dkim" && r.domain) return `dkim=${r.result} (${r.domain}${r.aligned ? ", aligned" : r.aligned === false ? ", not aligned" : ""})`;
  return `${m}=${r.result}`;
}

/** `spf=pass dkim=pass (d, aligned) dmarc=pass`, or what stands for them when the MX checked nothing. */
export function authPhrase(ar: AuthResults): string {
  if (ar.state === "absent") return "auth absent";
  if (ar.state === "none") return `auth none (${skipped(ar) ? "checks skipped" : "unreadable"})`;
  return AUTH_METHODS.map((m) => methodPhrase(m, ar[m])).join(" ");
}

/** Why the route's required methods are not met, or undefined when they are (or none is required). */
export function authFailure(ar: AuthResults, require: readonly AuthMethod[]): string | undefined {
  if (!require.length) return undefined;
  const req = require.join(", ");
  if (ar.state === "absent")
    return `no Authentication-Results of ${ar.authservId} where the MX writes it (required: ${req}): Rspamd skipped the checks (the client may be in local_addrs) or the filter is down`;
  if (ar.state === "none" && skipped(ar))
    return `${ar.authservId} wrote Authentication-Results "none" (required: ${req}): Rspamd skipped the checks, the client may be in local_addrs`;
  if (ar.state === "none") return `${ar.note} (required: ${req})`;
  const bad = require.filter((m) => ar[m]?.result !== "pass");
  if (!bad.length) return undefined;
  return bad
    .map((m) => {
      const r = ar[m];
      if (!r) return `${m}=missing`;
      return `${methodPhrase(m, r)}${r.comment ? ` "${r.comment}"` : ""}`;
    })
    .concat(bad.includes("dmarc") ? [] : ar.dmarc ? [`dmarc=${ar.dmarc.result}`] : [])
    .join("; ");
}

/**
 * What the MX's checks made of a message whose entry hop named the wrong client: SPF failed (or was
 * skipped) *because* the MX saw that address; DMARC may still pass on DKIM alignment.
 */
export function authLink(ar: AuthResults | undefined, ip: string | undefined): string | undefined {
  if (!ar || !ip) return undefined;
  if (ar.state === "absent") return `no Authentication-Results of ${ar.authservId}: the filter skipped ${ip} (local_addrs?) or is down`;
  if (ar.state === "none" && !skipped(ar)) return undefined;
  if (ar.state === "none") return `the MX skipped SPF, DKIM and DMARC because it saw ${ip} (a local client: local_addrs)`;
  const spf = ar.spf;
  // SPF that passed (or was never reported) for that address explains nothing.
  if (!spf || spf.result === "pass") return undefined;
  const parts = [`SPF ${spf.result} because the MX saw ${ip}`];
  if (ar.dmarc) {
    const onDkim = ar.dmarc.result === "pass" && ar.dkim?.result === "pass" && ar.dkim.aligned;
    parts.push(`DMARC ${ar.dmarc.result}${onDkim ? ` on DKIM alignment (${ar.dkim!.domain})` : ""}`);
  }
  return parts.join("; ");
}
