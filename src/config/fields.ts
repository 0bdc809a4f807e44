// Field types shared by the config schema and the sender modules' own schemas.
import ipaddr from "ipaddr.js";
import cron from "node-cron";
import { z } from "zod";

export const seconds = (def: number) => z.number().positive().max(86_400).default(def);

export const cidr = z.string().refine(
  (v) => {
    try {
      ipaddr.parseCIDR(v);
      return true;
    } catch {
      return false;
    }
  },
  { message: "not a CIDR range" },
);

export const httpUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return u.protocol === "http:" || u.protocol === "https:";
    } catch {
      return false;
    }
  },
  { message: "not an http(s) URL" },
);

export const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { message: "must be lower-case letters, digits, '_' or '-' (it becomes a metric label)" });

export const cronExpr = z.string().refine((v) => cron.validate(v), { message: "not a cron expression (5 fields, or 6 with seconds)" });

export const email = z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, { message: "not an e-mail address" });

/** A secret is given inline (often as ${ENV}) or as a file path (Kubernetes secret mounts). */
export function secretPair<K extends string>(key: K) {
  return { [key]: z.string().min(1).optional(), [`${key}File`]: z.string().min(1).optional() } as {
    [P in K | `${K}File`]: z.ZodOptional<z.ZodString>;
  };
}

export const ProxyProtocolSchema = z
  .object({
    /** The client address the PROXY v2 header claims. */
    sourceAddress: z.string().refine((v) => ipaddr.isValid(v), { message: "not an IP address" }),
    sourcePort: z.number().int().min(1).max(65535).default(40000),
  })
  .strict();

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
