// What our MX wrote about a stored message, located from the entry hop: the TLS of that hop, the
// MX's Authentication-Results (./auth-results.ts) and the filter's spam score. Pure; never throws.
//
// The score headers: Rspamd's milter_headers *appends* X-Spam-Status / X-Spamd-Result / X-Spam at
// the end of the header block (fixtures README), and removes every incoming X-Spam-Status. So a
// score counts only from the trailing run of filter-written headers at the very end of the block,
// and only when the MX's Authentication-Results is in its place too (the filter writes both in one
// pass, or neither: Rspamd down, or skip_local). Caveat, said in the README: with the filter down
// and failing open, a sender who writes a forged Authentication-Results as its first header and a
// forged X-Spam-Status as its last is indistinguishable by position; mailprobe cannot prove
// authentication then.
import type { AuthResults, EntryTls, SpamScore } from "../core/result.js";
import { mxAuthResults } from "./auth-results.js";
import { headerList } from "./headers.js";
import { entryHop, parseHop, type ReceivedRules } from "./received.js";

/** Headers an MX filter appends at the end of the block (Rspamd, SpamAssassin's names). */
const FILTER_APPENDED = new Set([
  "x-spam-status",
  "x-spamd-result",
  "x-spam",
  "x-spamd-bar",
  "x-spam-level",
  "x-spam-flag",
  "x-spam-score",
  "x-rspamd-server",
  "x-rspamd-queue-id",
  "x-rspamd-action",
]);

export interface MxHeaders {
  entryTls?: EntryTls;
  authResults: AuthResults;
  spam?: SpamScore;
}

/** The TLS the entry hop used, from Postfix's `with ESMTPS` or its `(using TLSv1.3 with cipher …)` comment. */
export function entryTlsOf(received: string): EntryTls {
  const using = /\(using\s+(TLSv[\d.]+|SSLv\d)\s+with\s+cipher\s+([A-Za-z0-9_-]+)/i.exec(received);
  // RFC 3848 protocol names: the S in ESMTPS / ESMTPSA / LMTPS / UTF8SMTPS means TLS.
  const bare = received.replace(/\((?:[^()]|\([^()]*\))*\)/g, " ");
  const proto = /\swith\s+([A-Z0-9]+)/i.exec(bare)?.[1]?.toUpperCase();
  const tls = !!using || (proto !== undefined && /^(?:E?SMTP|UTF8SMTP|E?LMTP|UTF8LMTP)SA?$/.test(proto));
  const out: EntryTls = { tls };
  if (using) {
    out.protocol = using[1];
    out.cipher = using[2];
  }
  return out;
}

/** The filter's score from the trailing run of filter-appended headers. */
export function trailingSpamScore(headers: { key: string; value: string }[]): SpamScore | undefined {
  let status: SpamScore | undefined;
  let result: SpamScore | undefined;
  for (let j = headers.length - 1; j >= 0 && FILTER_APPENDED.has(headers[j]!.key); j--) {
    const h = headers[j]!;
    if (h.key === "x-spam-status" && !status) {
      const m = /^\s*(yes|no)\b.*?\bscore=(-?\d+(?:\.\d+)?)/i.exec(h.value);
      if (m) status = { score: Number(m[2]), flagged: m[1]!.toLowerCase() === "yes", header: "x-spam-status" };
    }
    if (h.key === "x-spamd-result" && !result) {
      const m = /\[\s*(-?\d+(?:\.\d+)?)\s*\/\s*(-?\d+(?:\.\d+)?)\s*\]/.exec(h.value);
      if (m) result = { score: Number(m[1]), threshold: Number(m[2]), header: "x-spamd-result" };
    }
  }
  if (status) return result?.threshold !== undefined ? { ...status, threshold: result.threshold } : status;
  return result;
}

/** Reads what our MX wrote: the entry hop (by the Received rules), then its TLS, A-R and score. */
export function readMxHeaders(block: Buffer | string, rules: ReceivedRules, authservId: string): MxHeaders {
  const headers = headerList(block);
  const received = headers.flatMap((h, j) => (h.key === "received" ? [j] : []));
  const hops = received.map((j, i) => parseHop(headers[j]!.value, i));
  const entry = entryHop(hops, rules.mxHosts, rules);
  const entryIndex = entry ? received[entry.index] : undefined;
  const authResults = mxAuthResults(headers, entryIndex, authservId);
  const out: MxHeaders = { authResults };
  if (entry) out.entryTls = entryTlsOf(entry.value);
  if (authResults.state !== "absent") {
    const spam = trailingSpamScore(headers);
    if (spam) out.spam = spam;
  }
  return out;
}

/** The default authserv-id: the first non-wildcard entry of received.mxHosts (Postfix's myhostname). */
export function defaultAuthservId(mxHosts: string[]): string | undefined {
  return mxHosts.find((h) => !h.includes("*"))?.toLowerCase();
}
