// Authentication-Results (RFC 8601) of a stored message: the SPF, DKIM and DMARC results that the
// topmost header (the one our MX added last) reports. Pure; never throws.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { Headers } = require("mailsplit") as {
  Headers: new (block: Buffer | string) => { getList(): { key: string; line: string }[] };
};

export interface AuthResults {
  spf?: string;
  dkim?: string;
  dmarc?: string;
}

export function parseAuthResults(block: Buffer | string): AuthResults | undefined {
  let header: string | undefined;
  try {
    header = new Headers(block).getList().find((h) => h.key === "authentication-results")?.line;
  } catch {
    return undefined;
  }
  if (!header) return undefined;
  const value = header.replace(/^[^:]*:/, "").replace(/\s+/g, " ");
  const out: AuthResults = {};
  for (const method of ["spf", "dkim", "dmarc"] as const) {
    const m = new RegExp(`(?:^|[;\\s])${method}\\s*=\\s*([a-z]+)`, "i").exec(value);
    if (m?.[1]) out[method] = m[1].toLowerCase();
  }
  return Object.keys(out).length ? out : undefined;
}
