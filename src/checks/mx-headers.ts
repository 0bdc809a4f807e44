// What our MX's filter appended about a stored message: its spam score. Pure; never throws.
//
// The score headers: Rspamd's milter_headers and spamass-milter (SpamAssassin) *append* their
// X-Spam-* headers at the end of the header block (fixtures README), and Rspamd removes every
// incoming X-Spam-Status. So a score counts only from the trailing run of filter-written headers at
// the very end of the block, and only when the MX's Authentication-Results is in its place too (the
// filter writes both in one pass, or neither: filter down, or skip_local). Caveat, said in the
// README: with the filter down and failing open, a sender who writes a forged Authentication-Results
// as its first header and a forged X-Spam-Status as its last is indistinguishable by position.
import type { SpamScore } from "../core/result.js";

/** Headers an MX filter appends at the end of the block (Rspamd's and SpamAssassin's names). */
const FILTER_APPENDED = new Set([
  "x-spam-status",
  "x-spamd-result",
  "x-spam",
  "x-spamd-bar",
  "x-spam-level",
  "x-spam-flag",
  "x-spam-score",
  "x-spam-report",
  "x-spam-checker-version",
  "x-rspamd-server",
  "x-rspamd-queue-id",
  "x-rspamd-action",
]);

const NUM = String.raw`-?\d+(?:\.\d+)?`;

/** The filter's score from the trailing run of filter-appended headers. */
export function trailingSpamScore(headers: { key: string; value: string }[]): SpamScore | undefined {
  let status: SpamScore | undefined;
  let result: SpamScore | undefined;
  let score: SpamScore | undefined;
  let flag: boolean | undefined;
  for (let j = headers.length - 1; j >= 0 && FILTER_APPENDED.has(headers[j]!.key); j--) {
    const h = headers[j]!;
    if (h.key === "x-spam-status" && !status) {
      // Rspamd: "Yes, score=12.40"; SpamAssassin: "No, score=-0.1 required=5.0 tests=… version=…".
      const m = new RegExp(String.raw`^\s*(yes|no)\b.*?\b(?:score|hits)=(${NUM})(?:.*?\brequired=(${NUM}))?`, "i").exec(h.value);
      if (m) status = { score: Number(m[2]), flagged: m[1]!.toLowerCase() === "yes", header: "x-spam-status", ...(m[3] ? { threshold: Number(m[3]) } : {}) };
    }
    if (h.key === "x-spamd-result" && !result) {
      const m = new RegExp(String.raw`\[\s*(${NUM})\s*\/\s*(${NUM})\s*\]`).exec(h.value);
      if (m) result = { score: Number(m[1]), threshold: Number(m[2]), header: "x-spamd-result" };
    }
    if (h.key === "x-spam-score" && !score) {
      const m = new RegExp(String.raw`^\s*(${NUM})\s*$`).exec(h.value);
      if (m) score = { score: Number(m[1]), header: "x-spam-score" };
    }
    if (h.key === "x-spam-flag" && flag === undefined) flag = /^\s*yes\b/i.test(h.value);
  }
  if (status) return result?.threshold !== undefined && status.threshold === undefined ? { ...status, threshold: result.threshold } : status;
  const found = result ?? score;
  return found && flag !== undefined ? { ...found, flagged: flag } : found;
}

/** The default authserv-id: the first non-wildcard entry of received.mxHosts (Postfix's myhostname). */
export function defaultAuthservId(mxHosts: string[]): string | undefined {
  return mxHosts.find((h) => !h.includes("*"))?.toLowerCase();
}
