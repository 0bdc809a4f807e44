// The real-client-IP check: find the entry hop (the Received header in which our MX names the
// client it took the message from), read by the grammar of the MTA our MX runs (./grammars.ts), and
// judge that client IP against the CIDR rules. Pure: no I/O, never throws on any input.
import ipaddr from "ipaddr.js";
import type { IpVerdict } from "../core/result.js";
import { looseByHosts, MTAS, readHop, type HopReading, type Mta } from "./grammars.js";
import { headerValues } from "./headers.js";

export type { IpVerdict };

export interface ReceivedHop extends HopReading {
  /** 0 = the topmost (newest) Received header. */
  index: number;
  /** The header, unfolded, without its name. */
  value: string;
  /** The client IP, normalised (IPv4-mapped IPv6 → IPv4). */
  ip?: string;
}

export interface ReceivedRules {
  mxHosts: string[];
  forbiddenCidrs: string[];
  expectedCidrs: string[];
  /** Our MX's own internal hops besides loopback (content filters that reinject from another address). */
  internalCidrs?: string[];
  /** The MTA that writes our MX's Received headers (default postfix). */
  mta?: Mta;
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
    // ipaddr.isValid accepts odd IPv4 forms (octal, hex, fewer parts): MTAs write dotted quads.
    if (s.includes(".") && !s.includes(":") && !ipaddr.IPv4.isValidFourPartDecimal(s)) return undefined;
    return ipaddr.process(s).toString();
  } catch {
    return undefined;
  }
}

/** Parses one Received value under the MX's grammar: the `by` host and the client IP. */
export function parseHop(value: string, index: number, mta: Mta = "postfix"): ReceivedHop {
  const reading = readHop(value, mta);
  const hop: ReceivedHop = { ...reading, index, value };
  delete hop.ip;
  if (reading.ip) {
    const ip = normaliseIp(reading.ip);
    if (ip) hop.ip = ip;
    else return { index, value, kind: "unparsed", by: reading.by, note: `the client address [${reading.ip}] is not an IP address` };
  }
  return hop;
}

/**
 * The grammars under which a Received value names a client, with the address each would read: a
 * suggestion for `received.mta` when the configured grammar refuses a hop of ours. Never used for a
 * verdict (a header must not choose its own parser); an operator confirms which MTA writes it.
 */
export function grammarsReading(value: string): { mta: Mta; ip: string }[] {
  return MTAS.flatMap((mta) => {
    const hop = parseHop(value, 0, mta);
    return hop.kind === "client" && hop.ip ? [{ mta, ip: hop.ip }] : [];
  });
}

function hostMatches(host: string | undefined, patterns: string[]): boolean {
  if (!host) return false;
  return patterns.some((p) => {
    const q = p.toLowerCase().replace(/\.$/, "");
    return q.startsWith("*.") ? host.endsWith(q.slice(1)) : host === q;
  });
}

/** A hop written by one of our MX hosts (an unparsed one by any `by` it names: refusing is the safe side). */
export const isOurHop = (hop: ReceivedHop, mxHosts: string[]) =>
  hop.kind === "unparsed" ? looseByHosts(hop.value).some((h) => hostMatches(h, mxHosts)) : hostMatches(hop.by, mxHosts);

/** Loopback: the MX's own hops (content-filter reinjection) come from here. */
const LOOPBACK_CIDRS = ["127.0.0.0/8", "::1/128"];

export interface EntryScan {
  /** The entry hop, when one could be judged. */
  entry?: ReceivedHop;
  /** A hop of ours that cannot be judged: the scan stopped there. */
  stop?: { hop: ReceivedHop; reason: "entry_hop_unparsed" | "real_ip_missing"; rule: string };
  /** How many Received headers the block has. */
  seen: number;
}

/**
 * The entry hop (rule in the README, "Which Received header is judged"). Scanning from the top
 * (newest), within the first run of headers written by our MX hosts: delivery hops (LMTP, local
 * pickup) are passed; a hop naming an internal client (loopback, `internalCidrs`, unless
 * `forbiddenCidrs`/`expectedCidrs` name it) is a content filter's reinjection and is passed when the
 * next header is ours too, else it is the entry (a local submission); the first hop naming any other
 * client is the entry. A hop of ours that does not parse, or names no client, stops the scan. No
 * header below the one returned is ever read.
 */
export function scanEntry(hops: ReceivedHop[], rules: Omit<ReceivedRules, "expectedCidrs" | "forbiddenCidrs"> & Partial<ReceivedRules>): EntryScan {
  const internal = [...LOOPBACK_CIDRS, ...(rules.internalCidrs ?? [])];
  const named = [...(rules.forbiddenCidrs ?? []), ...(rules.expectedCidrs ?? [])];
  const isClient = (ip: string) => inAny(ip, named) !== undefined || inAny(ip, internal) === undefined;
  const mta = rules.mta ?? "postfix";
  let inRun = false;
  let last: ReceivedHop | undefined;
  for (const hop of hops) {
    if (!isOurHop(hop, rules.mxHosts)) {
      if (inRun) break;
      continue;
    }
    inRun = true;
    if (hop.kind === "delivery") continue;
    if (hop.kind === "unparsed")
      return { seen: hops.length, stop: { hop, reason: "entry_hop_unparsed", rule: `does not parse as ${mta}'s Received (received.mta): ${hop.note ?? ""}` } };
    if (hop.kind === "hidden" || !hop.ip)
      return {
        seen: hops.length,
        stop: {
          hop,
          reason: "real_ip_missing",
          rule: "our MX's hop names no client (Postfix smtpd_hide_client_session, OpenSMTPD mask-src?): the scan stops here",
        },
      };
    if (isClient(hop.ip)) return { seen: hops.length, entry: hop };
    last = hop;
  }
  return { seen: hops.length, entry: last };
}

/** The entry hop alone (see scanEntry). */
export function entryHop(hops: ReceivedHop[], mxHosts: string[], rules: Partial<Omit<ReceivedRules, "mxHosts">> = {}): ReceivedHop | undefined {
  return scanEntry(hops, { ...rules, mxHosts }).entry;
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

export const clip = (s: string) => (s.length > MAX_HEADER_CHARS ? `${s.slice(0, MAX_HEADER_CHARS)}…` : s);

/** Judges the scan's entry hop against the CIDR rules: the verdict with the range that matched. */
export function ipVerdict(scan: EntryScan, rules: ReceivedRules): IpVerdict {
  if (scan.stop) return { ok: false, reason: scan.stop.reason, header: clip(`Received: ${scan.stop.hop.value}`), rule: scan.stop.rule };
  const entry = scan.entry;
  if (!entry) {
    const n = scan.seen;
    return { ok: false, reason: "real_ip_missing", rule: `no Received header by ${rules.mxHosts.join(", ")} (saw ${n} Received header${n === 1 ? "" : "s"})` };
  }
  const header = clip(`Received: ${entry.value}`);
  if (!entry.ip) return { ok: false, reason: "real_ip_missing", header, rule: "the entry hop names no client IP" };
  const forbidden = inAny(entry.ip, rules.forbiddenCidrs);
  if (forbidden)
    return {
      ok: false,
      reason: "real_ip_forbidden",
      ip: entry.ip,
      header,
      rule: `forbiddenCidrs ${forbidden}`,
      match: { list: "forbiddenCidrs", cidr: forbidden },
    };
  if (rules.expectedCidrs.length) {
    const expected = inAny(entry.ip, rules.expectedCidrs);
    if (!expected) return { ok: false, reason: "real_ip_unexpected", ip: entry.ip, header, rule: `not in expectedCidrs ${rules.expectedCidrs.join(", ")}` };
    return { ok: true, ip: entry.ip, header, rule: `expectedCidrs ${expected}`, match: { list: "expectedCidrs", cidr: expected } };
  }
  return { ok: true, ip: entry.ip, header, rule: "not in forbiddenCidrs" };
}

/** Judges the real client IP of a message from its raw header block. */
export function checkReceived(block: Buffer | string, rules: ReceivedRules): IpVerdict {
  const hops = receivedHeaders(block).map((v, i) => parseHop(v, i, rules.mta));
  return ipVerdict(scanEntry(hops, rules), rules);
}
