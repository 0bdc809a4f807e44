// Authentication-Results (RFC 8601) of a stored message: the SPF, DKIM and DMARC results that the
// topmost header (the one our MX added last) reports. Pure; never throws.
import type { AuthResults } from "../core/result.js";
import { headerValues } from "./headers.js";

export type { AuthResults };

export function parseAuthResults(block: Buffer | string): AuthResults | undefined {
  const value = headerValues(block, "authentication-results")[0];
  if (!value) return undefined;
  const out: AuthResults = {};
  for (const method of ["spf", "dkim", "dmarc"] as const) {
    const m = new RegExp(`(?:^|[;\\s])${method}\\s*=\\s*([a-z]+)`, "i").exec(value);
    if (m?.[1]) out[method] = m[1].toLowerCase();
  }
  return Object.keys(out).length ? out : undefined;
}
