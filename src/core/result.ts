// The immutable result of one probe cycle. Only sinks and renderers turn it into anything else.
import type { Diagnosis, Reason } from "./reasons.js";

/** Which configured CIDR list and range decided an IP verdict (structured twin of `rule`). */
export interface IpMatch {
  list: "forbiddenCidrs" | "expectedCidrs";
  cidr: string;
}

/** The real-client-IP verdict of one stored message (checks/received.ts). */
export interface IpVerdict {
  ok: boolean;
  /** Set when not ok. */
  reason?: Extract<Reason, "real_ip_forbidden" | "real_ip_unexpected" | "real_ip_missing" | "entry_hop_unparsed">;
  ip?: string;
  /** The entry hop's header, unfolded (truncated for display). */
  header?: string;
  /** Which CIDR rule matched (forbidden or expected), or why none could be applied. */
  rule?: string;
  /** The CIDR that matched, as data (set by the judge); absent when no range matched. */
  match?: IpMatch;
  /** Set by the judge when expectedCidrs is empty: the observed entry-hop address, to be added there. */
  hint?: string;
}

export const AUTH_METHODS = ["spf", "dkim", "dmarc"] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** One method of the MX's Authentication-Results (RFC 8601 resinfo). */
export interface AuthMethodResult {
  /** The result word as the MX wrote it, lower-cased: pass, fail, softfail, none, neutral, permerror, temperror… */
  result: string;
  /** spf: the domain of smtp.mailfrom (or smtp.helo); dkim: header.d; dmarc: header.from. */
  domain?: string;
  /** dkim: whether header.d aligns (relaxed) with the From domain; spf: the same for the envelope domain. */
  aligned?: boolean;
  /** The MX's comment or reason, shortened ("body hash did not verify"). */
  comment?: string;
}

/**
 * What the MX's own Authentication-Results says (checks/auth-results.ts). `found`: its header with
 * methods; `none`: its header without a method (the filter skipped the client, e.g. in local_addrs);
 * `absent`: no header of ours where the MX puts it (filter down, or skipped without a header).
 */
export interface AuthResults {
  state: "found" | "none" | "absent";
  /** The authserv-id looked for. */
  authservId: string;
  spf?: AuthMethodResult;
  dkim?: AuthMethodResult;
  dmarc?: AuthMethodResult;
  /** The From header's domain (what DKIM and DMARC align to). */
  fromDomain?: string;
  /** Authentication-Results claiming our authserv-id elsewhere in the block (sender-written): ignored. */
  ignored: number;
  /** Why the state is what it is, when not `found`. */
  note?: string;
}

/** The spam filter's score of the stored message, from the MX filter's own trailing header. */
export interface SpamScore {
  score: number;
  /** The filter flagged it (X-Spam-Status: Yes). */
  flagged?: boolean;
  /** The filter's own threshold: X-Spamd-Result [score / threshold] (Rspamd's reject score), SpamAssassin's required=. */
  threshold?: number;
  /** The header it was read from. */
  header: "x-spam-status" | "x-spamd-result" | "x-spam-score";
}

/** How the entry hop reached our MX (Postfix: `with ESMTPS`, `(using TLSv1.3 with cipher …)`). */
export interface EntryTls {
  /** true: the header shows TLS; false: it shows a plain session; absent: it cannot tell (Postfix `with SMTP`). */
  tls?: boolean;
  /** The `with` protocol the hop names (the evidence). */
  with?: string;
  protocol?: string;
  cipher?: string;
}

export interface SendResult {
  /** The sender type (a key of the sender registry). */
  type: string;
  ok: boolean;
  reason?: Reason;
  detail?: string;
  seconds?: number;
  attempts: number;
  messageId?: string;
  notes: string[];
  /** The account's remaining send credits, read during the run (senders with credits, RunDeps.readCredits). */
  credits?: number;
}

export interface PathResult {
  name: string;
  ok: boolean;
  reason?: Reason;
  detail?: string;
  /** Send start → the message seen on this path. */
  roundtripSeconds?: number;
  /** When this path saw the message (ms resolution). */
  seenAt?: string;
  /** Connect + login + select. */
  openSeconds?: number;
  /** The message as stored: its real client IP verdict (absent when not seen or no rules). */
  ip?: IpVerdict;
  /** The MX's own Authentication-Results of the message (absent when no received rules locate it). */
  authResults?: AuthResults;
  /** The MX filter's spam score (absent when the filter wrote none where it writes it). */
  spam?: SpamScore;
  /** Whether the entry hop into our MX used TLS (absent when no entry hop was found). */
  entryTls?: EntryTls;
  /** Where the message was found (the watched mailbox, or the junk mailbox). */
  foundIn?: string;
  /** The mailboxes as the server names them (resolved at open: `inbox` is `INBOX`, `Junk` may be `INBOX.Junk`); absent when the path did not open. */
  mailboxes?: { watched: string; junk?: string };
  tlsCertNotAfter?: string;
  deleted: boolean;
  /** Whether the wait found the message (in time) or only cleanup's last look did. */
  foundDuring?: "wait" | "cleanup";
  /** The roundtrip split where the facts allow (seconds; see Stages). */
  stages?: Stages;
  /** How this path's server lets probe messages be removed, and what cleanup did here (absent: the path never opened). */
  cleanup?: { mode: "uid-expunge" | "moved-to-trash" | "left"; detail: string };
  /** Stale probe messages the sweep saw in this path's mailbox but did not remove (counted on the path that swept it). */
  leftBehind?: number;
  /** What the path had to give up without failing (a junk mailbox it could not read). */
  notes?: string[];
}

/** A problem of the setup that does not fail the run but must be fixed (said loudly in every output). */
export interface RunWarning {
  /** no_token_key: the stale sweep is off; relays_for_lan: a `from: lan` relayCheck entry accepted the relay. */
  code: "no_token_key" | "relays_for_lan";
  /** What is wrong (`detail`) and what to do (`hint`), as one sentence pair. */
  message: string;
  detail: string;
  hint: string;
}

/**
 * The roundtrip in stages. `send`: send start → the sender accepted it. `upstream`: accepted → the
 * sender's log says delivered (only when its log was read during the wait). `mx`: the entry hop's
 * Received date → seen (our MX and the store; the header has 1 s resolution, truncated, so this
 * reads up to 1 s long). `seen`: send start → seen (the roundtrip).
 */
export interface Stages {
  send?: number;
  upstream?: number;
  mx?: number;
  seen?: number;
}

export interface ProbeResult {
  probe: string;
  ok: boolean;
  /** The probe message's token (unguessable, not a secret: only the MAC key derived from the config is). */
  token: string;
  /** The first failure reason (for one-line summaries). */
  reason?: Reason;
  startedAt: string;
  durationSeconds: number;
  send: SendResult;
  paths: PathResult[];
  /** Probe-level verdict of the real client IP: every path that saw the message agrees it is ok. */
  realIpOk?: boolean;
  /** What the sender's event log says happened, when no path saw the message. */
  diagnosis?: { code: Diagnosis; detail?: string; during?: "wait" | "cleanup" };
  /** Paths disagree (one saw it, one did not / failed login): isolates the proxy hop from the server. */
  pathSplit?: string;
  cleanup: { deleted: number; stale: number; errors: string[]; leftBehind?: number };
  aborted: boolean;
  /** The methods the route that sent this message requires (authResults.require): the metric's `required` label. */
  authRequire?: AuthMethod[];
  /** The relay check of each configured SMTP entry point (probe-level, not per IMAP path). */
  relay?: RelayResult[];
  /** The certificate the route's SMTP sender listener served (`listener: "sender"`). */
  smtpCerts?: { listener: string; notAfter: string }[];
  warnings?: RunWarning[];
}

/** One SMTP entry point's relay check: an unauthenticated RCPT to a foreign domain must be refused. */
export interface RelayResult {
  entry: string;
  /**
   * refused: 5xx on RCPT (healthy); open: accepted (open_relay); inconclusive: the server answered but
   * the relay question was not settled (refused MAIL FROM, 4xx on RCPT); error: the check could not run.
   */
  state: "refused" | "open" | "inconclusive" | "error";
  /** The server's answer, or the error. */
  detail: string;
  /** The listener's certificate expiry, when the connection used TLS. */
  certNotAfter?: string;
  /** `lan` when the entry is `from: lan` (the server sees the node's LAN address): an accepted relay is relays_for_lan. */
  from?: "lan";
  /** Why the TLS handshake failed (certificate has expired, self-signed, altnames…), when it did. */
  tlsError?: string;
}

export interface SinkResult {
  /** The sink name (a key of the sink registry). */
  sink: string;
  target: string;
  ok: boolean;
  error?: string;
  ms: number;
}

export interface ReportedResult extends ProbeResult {
  sinks: SinkResult[];
}
