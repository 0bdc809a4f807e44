// The real-client-IP check: find the entry hop (the Received header in which our MX names the
// client it took the message from) in a message's header block and judge that client IP against
// the CIDR rules.
// Pure: no I/O, never throws on any input.
import ipaddr from "ipaddr.js";
import { headerValues } from "./headers.js";
import type { IpVerdict } from "../core/result.js";

export type { IpVerdict };

export interface ReceivedHop {
  /** 0 = the topmost (newest) Received header. */
  index: number;
  /** The header, unfolded, without its name. */
  value: string;
  /** The host in its `by` clause, lower-cased. */
  by?: string;
  /** The client IP in its `from` clause, normalised (IPv4-mapped IPv6 → IPv4). */
  ip?: string;
}

export interface ReceivedRules {
  mxHosts: string[];
  forbiddenCidrs: string[];
  expectedCidrs: string[];
  /** Our MX's own internal hops besides loopback (content filters that reinject from another address). */
  internalCidrs?: string[];
}

const MAX_HEADER_CHARS = 400;

/** Splits a raw header block into its Received headers, newest first. */
export function receivedHeaders(block: Buffer | string): string[] {
  return headerValues(block, "received");
}

/** Normalises an address literal from a Received header, or undefined if it is not an IP. */
export function normaliseIp(literal: string): string | undefined {
  const s = literal.replace(/^ipv6:/i, "").trim();
  if (!ipaddr.isValid(s)) return undefined;
  try {
    // ipaddr.isValid accepts odd IPv4 forms (octal, hex, fewer parts): Postfix writes dotted quads.
    if (s.includes(".") && !s.includes(":") && !ipaddr.IPv4.isValidFourPartDecimal(s)) return undefined;
    return ipaddr.process(s).toString();
  } catch {
    return undefined;
  }
}

/** Parses one Received value: the `by` host and the client IP of the `from` clause. */
export function parseHop(value: string, index: number): ReceivedHop {
  const hop: ReceivedHop = { index, value };
  const by = /(?:^|\s)by\s+([^\s;()]+)/i.exec(value);
  if (by?.[1]) hop.by = by[1].toLowerCase().replace(/\.$/, "");
  const from = /^\s*from\s+(.*?)(?:\s+by\s|\s+with\s|\s+id\s|\s+for\s|;|$)/i.exec(value);
  if (from?.[1]) {
    // Postfix: `from HELO (rdns [IP])`: the last bracketed literal is the one the server saw; a HELO
    // that is itself a literal comes first and is not trusted.
    const literals = [...from[1].matchAll(/\[([^\[\]\s]{1,64})\]/g)].map((m) => m[1]!);
    for (let i = literals.length - 1; i >= 0; i--) {
      const ip = normaliseIp(literals[i]!);
      if (ip) {
        hop.ip = ip;
        break;
      }
    }
  }
  return hop;
}

function hostMatches(host: string | undefined, patterns: string[]): boolean {
  if (!host) return false;
  return patterns.some((p) => {
    const q = p.toLowerCase().replace(/\.$/, "");
    return q.startsWith("*.") ? host.endsWith(q.slice(1)) : host === q;
  });
}

/** Loopback: the MX's own hops (LMTP, content-filter reinjection) come from here. */
const LOOPBACK_CIDRS = ["127.0.0.0/8", "::1/128"];

/**
 * The entry hop. Scanning from the top (newest), within the first run of headers written by our MX
 * hosts: the first one that names a client outside the MX's internal hops (loopback and
 * `internalCidrs`), where an address that `forbiddenCidrs` or `expectedCidrs` name always counts as
 * a client (a SNAT range or a relay may well be internal-looking). The scan stops there: headers
 * below it (the sender's own, forged or not) are never read. A run of internal hops only (a local
 * submission) yields its oldest.
 */
export function entryHop(hops: ReceivedHop[], mxHosts: string[], rules: Partial<Omit<ReceivedRules, "mxHosts">> = {}): ReceivedHop | undefined {
  const internal = [...LOOPBACK_CIDRS, ...(rules.internalCidrs ?? [])];
  const named = [...(rules.forbiddenCidrs ?? []), ...(rules.expectedCidrs ?? [])];
  const isClient = (ip: string) => inAny(ip, named) !== undefined || inAny(ip, internal) === undefined;
  let oldest: ReceivedHop | undefined;
  for (const hop of hops) {
    if (!hostMatches(hop.by, mxHosts)) {
      if (oldest) break;
      continue;
    }
    if (hop.ip && isClient(hop.ip)) return hop;
    oldest = hop;
  }
  return oldest;
}

export function inAny(ip: string, cidrs: string[]): string | undefined {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.parse(ip);
  } catch {
    return undefined;
  }
  for (const c of cidrs) {
    try {
      const [range, bits] = ipaddr.parseCIDR(c);
      // Compare like with like: an IPv4 rule also covers the IPv4-mapped IPv6 form and vice versa.
      const a =
        addr.kind() === range.kind()
          ? addr
          : addr.kind() === "ipv4"
            ? (addr as ipaddr.IPv4).toIPv4MappedAddress()
            : (addr as ipaddr.IPv6).isIPv4MappedAddress()
              ? (addr as ipaddr.IPv6).toIPv4Address()
              : undefined;
      if (a && a.match([range, bits] as [typeof a, number])) return c;
    } catch {
      /* invalid rules are rejected at config load */
    }
  }
  return undefined;
}

const clip = (s: string) => (s.length > MAX_HEADER_CHARS ? `${s.slice(0, MAX_HEADER_CHARS)}…` : s);

/** Judges the real client IP of a message from its raw header block. */
export function checkReceived(block: Buffer | string, rules: ReceivedRules): IpVerdict {
  const hops = receivedHeaders(block).map(parseHop);
  const entry = entryHop(hops, rules.mxHosts, rules);
  if (!entry) {
    return {
      ok: false,
      reason: "real_ip_missing",
      rule: `no Received header by ${rules.mxHosts.join(", ")} (saw ${hops.length} Received header${hops.length === 1 ? "" : "s"})`,
    };
  }
  const header = clip(`Received: ${entry.value}`);
  if (!entry.ip) return { ok: false, reason: "real_ip_missing", header, rule: "the entry hop names no client IP" };
  const forbidden = inAny(entry.ip, rules.forbiddenCidrs);
  if (forbidden) return { ok: false, reason: "real_ip_forbidden", ip: entry.ip, header, rule: `forbiddenCidrs ${forbidden}` };
  if (rules.expectedCidrs.length) {
    const expected = inAny(entry.ip, rules.expectedCidrs);
    if (!expected) return { ok: false, reason: "real_ip_unexpected", ip: entry.ip, header, rule: `not in expectedCidrs ${rules.expectedCidrs.join(", ")}` };
    return { ok: true, ip: entry.ip, header, rule: `expectedCidrs ${expected}` };
  }
  return { ok: true, ip: entry.ip, header, rule: "not in forbiddenCidrs" };
}
