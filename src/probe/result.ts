// The immutable result of one probe cycle. Only sinks and renderers turn it into anything else.
import type { IpVerdict } from "../checks/received.js";
import type { Diagnosis, Reason } from "./reasons.js";

export interface SendResult {
  type: "brevo" | "smtp";
  ok: boolean;
  /** Not sent at all because no path could be opened (saves the sender's quota). */
  skipped?: boolean;
  reason?: Reason;
  detail?: string;
  seconds?: number;
  attempts: number;
  messageId?: string;
  notes: string[];
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
  authResults?: { spf?: string; dkim?: string; dmarc?: string };
  /** Where the message was found (the watched mailbox, or the junk mailbox). */
  foundIn?: string;
  tlsCertNotAfter?: string;
  deleted: boolean;
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
  cleanup: { deleted: number; stale: number; errors: string[] };
  aborted: boolean;
}

export interface SinkResult {
  sink: "pushgateway" | "kuma";
  target: string;
  ok: boolean;
  error?: string;
  ms: number;
}

export interface ReportedResult extends ProbeResult {
  sinks: SinkResult[];
}
