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
  reason?: Extract<Reason, "real_ip_forbidden" | "real_ip_unexpected" | "real_ip_missing">;
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

/** Authentication-Results of a stored message, one result word per method. */
export interface AuthResults {
  spf?: string;
  dkim?: string;
  dmarc?: string;
}

export interface SendResult {
  /** The sender type (a key of the sender registry). */
  type: string;
  ok: boolean;
  /** Not sent at all because no path could be opened (saves the sender's quota). */
  skipped?: boolean;
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
  /** Authentication-Results of the message as stored, when it has them. */
  authResults?: AuthResults;
  /** Where the message was found (the watched mailbox, or the junk mailbox). */
  foundIn?: string;
  tlsCertNotAfter?: string;
  deleted: boolean;
  /** How this path's server lets probe messages be removed, and what cleanup did here (absent: the path never opened). */
  cleanup?: { mode: "uid-expunge" | "moved-to-trash" | "left"; detail: string };
  /** Stale probe messages the sweep saw in this path's mailbox but did not remove (counted on the path that swept it). */
  leftBehind?: number;
}

/** A problem of the setup that does not fail the run but must be fixed (said loudly in every output). */
export interface RunWarning {
  code: "no_token_key";
  message: string;
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
  diagnosis?: { code: Diagnosis; detail?: string };
  /** Paths disagree (one saw it, one did not / failed login): isolates the proxy hop from the server. */
  pathSplit?: string;
  cleanup: { deleted: number; stale: number; errors: string[]; leftBehind?: number };
  aborted: boolean;
  warnings?: RunWarning[];
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
