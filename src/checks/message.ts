// The message reader: a stored message's header block is read once, with the route's rules, into
// everything the judge needs: the entry hop and the grammar that read it, the IP verdict with the
// range that matched, the entry hop's TLS, the MX's Authentication-Results, the filter's spam score
// and the hop's date. Pure; never throws on any input.
import type { AuthResults, EntryTls, IpVerdict, SpamScore } from "../core/result.js";
import { mxAuthResults } from "./auth-results.js";
import type { Mta } from "./grammars.js";
import { headerList } from "./headers.js";
import { trailingSpamScore } from "./mx-headers.js";
import { grammarsReading, ipVerdict, parseHop, scanEntry, type ReceivedRules } from "./received.js";

export interface MessageReading {
  /** The entry hop: its position among the Received headers (0 = top) and the grammar that read it. */
  entry?: { index: number; mta: Mta; value: string };
  ip: IpVerdict;
  /** The entry hop's TLS (absent without an entry hop). */
  entryTls?: EntryTls;
  /** The MX's Authentication-Results (absent when no authserv-id is known). */
  authResults?: AuthResults;
  /** The filter's score, where and when it counts (see mx-headers.ts). */
  spam?: SpamScore;
  /** The entry hop's date (epoch ms, 1 s resolution). */
  hopDateMs?: number;
  /** When a hop of ours is entry_hop_unparsed: the other grammars that would read it, and the client
   * each names (a suggestion for received.mta, never a verdict). */
  readableBy?: { mta: Mta; ip: string }[];
}

/** Reads a header block once. `authservId` absent: the MX's Authentication-Results and score are not read. */
export function readMessage(block: Buffer | string, rules: ReceivedRules, authservId?: string): MessageReading {
  const mta = rules.mta ?? "postfix";
  const headers = headerList(block);
  const received = headers.flatMap((h, j) => (h.key === "received" ? [j] : []));
  const hops = received.map((j, i) => parseHop(headers[j]!.value, i, mta));
  const scan = scanEntry(hops, rules);
  const out: MessageReading = { ip: ipVerdict(scan, rules) };
  if (scan.stop?.reason === "entry_hop_unparsed") out.readableBy = grammarsReading(scan.stop.hop.value).filter((r) => r.mta !== mta);
  const entry = scan.entry;
  if (entry) {
    out.entry = { index: entry.index, mta, value: entry.value };
    if (entry.tls) out.entryTls = entry.tls;
    const date = entry.value.split(";").at(-1)?.trim();
    const ms = date && entry.value.includes(";") ? Date.parse(date) : NaN;
    if (Number.isFinite(ms)) out.hopDateMs = ms;
  }
  if (authservId) {
    out.authResults = mxAuthResults(headers, entry ? received[entry.index] : undefined, authservId);
    if (out.authResults.state !== "absent") {
      const spam = trailingSpamScore(headers);
      if (spam) out.spam = spam;
    }
  }
  return out;
}
