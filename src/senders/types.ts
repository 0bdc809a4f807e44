// One contract for every sender (nodemailer's transports model): send, optionally diagnose and
// verify, close. Senders are chosen from the map in ./index.ts by the config's `type`.
import type { Diagnosis, Reason } from "../core/reasons.js";

export interface OutgoingMessage {
  from: string;
  fromName?: string;
  to: string;
  subject: string;
  text: string;
  headers: Record<string, string>;
}

export type SendOutcome =
  { ok: true; messageId?: string; attempts: number; notes: string[] } | { ok: false; reason: Reason; detail: string; attempts: number; notes: string[] };

export interface VerifyOutcome {
  ok: boolean;
  detail: string;
  /** Brevo: remaining send credits of the plan, when the account says so. */
  credits?: number;
}

export interface Sender {
  /** Work that may run while the IMAP paths open (e.g. Brevo's blocklist check). */
  prepare?(to: string, signal: AbortSignal): Promise<string[]>;
  /** Sends once, retrying within `deadlineMs` (epoch) by the sender's own policy. */
  send(msg: OutgoingMessage, signal: AbortSignal, deadlineMs: number): Promise<SendOutcome>;
  /** What happened to an accepted message that no path saw. */
  diagnose?(messageId: string, to: string, signal: AbortSignal): Promise<{ code: Diagnosis; detail?: string }>;
  /** Checks credentials without sending (doctor). */
  verify?(signal: AbortSignal): Promise<VerifyOutcome>;
  close(): void;
}
