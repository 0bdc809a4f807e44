// Authentication-Results (RFC 8601): the MX's own header, never anyone else's. Pure; never throws.
//
// Where the MX's header is (checked in the lab, test/checks/fixtures/README.md): Postfix hides its
// own Received from milters, and the filter (Rspamd) inserts its Authentication-Results at the top
// of the headers it sees, so it sits *directly below the entry hop's Received*, above everything
// the client sent. The rule encoded here: the MX's headers are the contiguous run of headers right
// below the entry-hop Received whose names only an MX filter prepends there (Authentication-Results,
// ARC-*), and of those only the ones whose authserv-id is ours count. Any other header ends the run:
// a header the sender wrote can never be above the MX's, so an Authentication-Results claiming our
// authserv-id below it is the sender's and is ignored (counted in `ignored`).
import type { AuthMethod, AuthMethodResult, AuthResults } from "../core/result.js";
import { AUTH_METHODS } from "../core/result.js";

export type { AuthResults };

/** Headers an MX filter prepends right under the entry hop (several milters may each add one). */
const FILTER_PREPENDED = new Set(["authentication-results", "arc-seal", "arc-message-signature", "arc-authentication-results"]);

const MAX_COMMENT = 120;

/** Splits on `sep` outside quoted strings and comments (RFC 8601 values carry both). */
function splitTop(value: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      if (c === "\\") cur += value[i++] ?? "";
      else if (c === '"') quoted = false;
    } else if (c === '"') quoted = true;
    else if (c === "(") depth++;
    else if (c === ")") depth = Math.max(0, depth - 1);
    else if (c === sep && depth === 0) {
      out.push(cur);
      cur = "";
      continue;
    }
    cur += c;
  }
  out.push(cur);
  return out;
}

const stripComments = (s: string) => s.replace(/\((?:[^()]|\([^()]*\))*\)/g, " ");

/** The authserv-id of one Authentication-Results value (lower-case), or undefined. */
export function authservIdOf(value: string): string | undefined {
  const first = stripComments(splitTop(value, ";")[0] ?? "").trim();
  // A value or a quoted-string (RFC 8601 2.2), then an optional version.
  const id = /^"((?:[^"\\]|\\.)*)"/.exec(first)?.[1]?.replace(/\\(.)/g, "$1") ?? /^([^\s;]+)/.exec(first)?.[1];
  return id?.toLowerCase().replace(/\.$/, "");
}

export interface ParsedAuthResults {
  authservId?: string;
  /** The header says `none`: its author checked nothing (RFC 8601 2.2). */
  none?: boolean;
  /** Resinfos that could not be read (as written, clipped). */
  unread: string[];
  /** Every resinfo in order: method, result word, properties (lower-case keys), first comment. */
  methods: { method: string; result: string; props: Record<string, string>; comment?: string }[];
}

/** Parses one Authentication-Results value (unfolded, without the name). */
export function parseAuthResultsValue(value: string): ParsedAuthResults {
  const [head, ...rest] = splitTop(value, ";");
  const out: ParsedAuthResults = { authservId: authservIdOf(head ?? ""), methods: [], unread: [] };
  for (const part of rest) {
    const comment = /\(((?:[^()]|\([^()]*\))*)\)/.exec(part)?.[1];
    const bare = stripComments(part).trim();
    if (/^none$/i.test(bare)) out.none = true;
    if (!bare || /^none$/i.test(bare)) continue;
    // RFC 8601 allows CFWS around "/" and "=": `dkim / 1 = fail` (Appendix B.7).
    const m = /^([a-z0-9-]+)\s*(?:\/\s*\d+\s*)?=\s*([a-z0-9-]+)/i.exec(bare);
    if (!m) {
      out.unread.push(bare.slice(0, MAX_COMMENT));
      continue;
    }
    const props: Record<string, string> = {};
    // reason="…" may hold parentheses: read it before comments are stripped.
    const reason = /\breason\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(part)?.[1];
    if (reason !== undefined) props["reason"] = reason.slice(0, MAX_COMMENT);
    for (const p of bare.slice(m[0].length).matchAll(/([a-z0-9-]+)(?:\s*\.\s*([a-z0-9_-]+))?\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;]+)/gi)) {
      props[(p[2] ? `${p[1]}.${p[2]}` : p[1]!).toLowerCase()] ??= p[3]!.replace(/^"|"$/g, "");
    }
    out.methods.push({
      method: m[1]!.toLowerCase(),
      result: m[2]!.toLowerCase(),
      props,
      comment: comment?.replace(/^"|"$/g, "").slice(0, MAX_COMMENT),
    });
  }
  return out;
}

const domainOf = (addr: string | undefined) =>
  addr
    ?.replace(/^.*@/, "")
    .replace(/[>\s].*$/, "")
    .toLowerCase() || undefined;

/** Relaxed alignment (RFC 7489 3.1) without a public-suffix list: equal, or one a subdomain of the other. */
export function aligned(a: string | undefined, b: string | undefined): boolean | undefined {
  if (!a || !b) return undefined;
  return a === b || a.endsWith(`.${b}`) || b.endsWith(`.${a}`);
}

/** The domain of the From header (the last address-looking part). */
export function fromDomainOf(from: string | undefined): string | undefined {
  if (!from) return undefined;
  const angle = /<([^<>]*)>\s*$/.exec(from)?.[1] ?? from;
  const m = /@([a-z0-9.-]+)/i.exec(angle);
  return m?.[1]?.toLowerCase().replace(/\.$/, "");
}

function methodResult(method: AuthMethod, entries: ParsedAuthResults["methods"], fromDomain: string | undefined): AuthMethodResult | undefined {
  const mine = entries.filter((e) => e.method === method);
  if (!mine.length) return undefined;
  const pick = (e: (typeof mine)[number]): AuthMethodResult => {
    const domain =
      method === "dkim"
        ? (e.props["header.d"] ?? domainOf(e.props["header.i"]))
        : method === "spf"
          ? (domainOf(e.props["smtp.mailfrom"]) ?? domainOf(e.props["smtp.helo"]))
          : domainOf(e.props["header.from"]);
    const r: AuthMethodResult = { result: e.result };
    if (domain) r.domain = domain.toLowerCase();
    const a = method === "dmarc" ? undefined : aligned(r.domain, fromDomain);
    if (a !== undefined) r.aligned = a;
    const why = e.props["reason"] ?? e.comment;
    if (why) r.comment = why;
    return r;
  };
  // DKIM: one result per signature; the one that counts is an aligned pass, else any pass, else the first.
  const results = mine.map(pick);
  return results.find((r) => r.result === "pass" && r.aligned) ?? results.find((r) => r.result === "pass") ?? results[0];
}

/**
 * The contiguous run of MX-written headers directly *above* the entry hop (indexes, nearest first):
 * a policy service's PREPEND (policyd-spf's Received-SPF) is written by Postfix's smtpd above its own
 * Received (smtpd.c, data_cmd), and milters that insert at the top (OpenDKIM, OpenDMARC, seen in the
 * lab: test/checks/fixtures/sa-brevo-healthy.eml) land above it too. Nothing above the entry hop can
 * have been written by the sender, so this run is the MX's whatever its order.
 */
function aboveEntry(headers: { key: string; value: string }[], entryIndex: number): number[] {
  const out: number[] = [];
  for (let j = entryIndex - 1; j >= 0 && (headers[j]!.key === "received-spf" || FILTER_PREPENDED.has(headers[j]!.key)); j--) out.push(j);
  return out;
}

/** policyd-spf's Received-SPF (RFC 7208 9.1) in the run above the entry hop, read as an spf result. */
function receivedSpf(headers: { key: string; value: string }[], entryIndex: number): ParsedAuthResults["methods"] {
  const out: ParsedAuthResults["methods"] = [];
  for (const j of aboveEntry(headers, entryIndex)) {
    if (headers[j]!.key !== "received-spf") continue;
    const v = headers[j]!.value;
    const result = /^\s*([a-z]+)\b/i.exec(v)?.[1]?.toLowerCase();
    if (!result) continue;
    const kv: Record<string, string> = {};
    for (const p of v.matchAll(/\b(identity|envelope-from|helo)=("[^"]*"|[^\s;]+)/gi)) kv[p[1]!.toLowerCase()] ??= p[2]!.replace(/^"|"$/g, "");
    const helo = kv["identity"]?.toLowerCase() === "helo";
    const props: Record<string, string> = {};
    const domain = helo ? kv["helo"] : kv["envelope-from"];
    if (domain) props[helo ? "smtp.helo" : "smtp.mailfrom"] = domain;
    // The MAIL FROM identity is the one SPF is about; a HELO check comes after it.
    out[helo ? "push" : "unshift"]({ method: "spf", result, props, comment: /\(([^()]*)\)/.exec(v)?.[1]?.slice(0, MAX_COMMENT) });
  }
  return out;
}

/** Why the MX's headers name none of SPF, DKIM, DMARC: its real cause, as far as the header says. */
function noneNote(parsed: ParsedAuthResults[]): string {
  const unread = parsed.flatMap((p) => p.unread);
  if (unread.length) return `the MX's Authentication-Results could not be read (RFC 8601): ${unread.map((u) => `"${u}"`).join(", ")}`;
  const other = [...new Set(parsed.flatMap((p) => p.methods.map((m) => m.method)))];
  if (other.length) return `the MX's Authentication-Results names only ${other.join(", ")}, none of spf, dkim, dmarc`;
  return "the MX's Authentication-Results names no method: the filter skipped the checks (the client may be in local_addrs)";
}

/**
 * The MX's Authentication-Results in a header list (top first), given the index of the entry hop's
 * Received in that list (undefined: no entry hop, so nothing can be located).
 */
export function mxAuthResults(headers: { key: string; value: string }[], entryIndex: number | undefined, authservId: string): AuthResults {
  const id = authservId.toLowerCase().replace(/\.$/, "");
  const from = headers.find((h) => h.key === "from")?.value;
  const fromDomain = fromDomainOf(from);
  const ours = new Set<number>();
  if (entryIndex !== undefined) {
    for (let j = entryIndex + 1; j < headers.length && FILTER_PREPENDED.has(headers[j]!.key); j++) {
      if (headers[j]!.key === "authentication-results" && authservIdOf(headers[j]!.value) === id) ours.add(j);
    }
    for (const j of aboveEntry(headers, entryIndex)) {
      if (headers[j]!.key === "authentication-results" && authservIdOf(headers[j]!.value) === id) ours.add(j);
    }
  }
  const ignored = headers.filter((h, j) => h.key === "authentication-results" && !ours.has(j) && authservIdOf(h.value) === id).length;
  const base: AuthResults = { state: "absent", authservId: id, ignored };
  if (fromDomain) base.fromDomain = fromDomain;
  if (entryIndex === undefined) return { ...base, note: "no entry hop by received.mxHosts, so the MX's Authentication-Results cannot be located" };
  const spf = receivedSpf(headers, entryIndex);
  if (!ours.size && !spf.length) {
    return {
      ...base,
      note: `no Authentication-Results of ${id} directly below the entry hop: the filter is down, or skipped the client without a header (Rspamd's skip_local: the client may be in local_addrs)`,
    };
  }
  // Several filters (e.g. OpenDKIM, OpenDMARC, policyd-spf) may each write one: the methods merge, the first wins.
  const parsed = [...ours].map((j) => parseAuthResultsValue(headers[j]!.value));
  const entries = [...parsed.flatMap((p) => p.methods), ...spf];
  const out: AuthResults = { ...base, state: "found" };
  for (const m of AUTH_METHODS) {
    const r = methodResult(m, entries, fromDomain);
    if (r) out[m] = r;
  }
  if (!AUTH_METHODS.some((m) => out[m])) return { ...base, state: "none", note: noneNote(parsed) };
  return out;
}
