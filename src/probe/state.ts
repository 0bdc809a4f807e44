// The state of one run: what its phases share and write. run.ts makes it and owns its opening and
// closing; wait.ts and cleanup.ts fill it in; judge.ts only reads it (a snapshot, as JudgeInput).
import type { SessionSlots } from "../core/slots.js";
import type { ResolvedPath, ResolvedProbe } from "../config/load.js";
import { errText } from "../core/errors.js";
import type { Reason } from "../core/reasons.js";
import type { SendResult } from "../core/result.js";
import type { Sender, SenderConfig, SenderContext, UpstreamEvent } from "../core/sender.js";
import type { Logger } from "../log.js";
import type { CleanupMode, FoundMessage, Session } from "../receivers/session.js";
import type { IdleLagMemory } from "./idle-memory.js";

/** What the run learnt about one path. */
export interface PathState {
  name: string;
  session?: Session;
  error?: { reason: Reason; detail: string };
  found?: FoundMessage;
  junk?: boolean;
  /** Found only by cleanup's last look (after the deadline or an abort): not a success. */
  late?: boolean;
  deleted?: boolean;
  /** Found by the wait (in time) or by cleanup's last look. */
  foundDuring?: "wait" | "cleanup";
  /** What cleanup did on this path (set for every opened path). */
  cleanup?: { mode: CleanupMode; detail: string };
  /** Stale probe messages the sweep left in this path's mailbox (set on the path that swept it). */
  leftBehind?: number;
}

export interface RunDeps {
  log: Logger;
  /** Aborts the run from outside (SIGTERM, SIGINT, serve shutdown): the result says `aborted`. */
  signal?: AbortSignal;
  /** Builds the sender (default: the sender registry). */
  createSender?: (cfg: SenderConfig, ctx?: SenderContext) => Promise<Sender>;
  /** What senders share across the process's runs (the event-log budget); made per run if absent. */
  senderContext?: SenderContext;
  /** What serve and watch learnt of each path's IDLE lag (a one-shot run has none: it polls fast). */
  idleLags?: IdleLagMemory;
  /** The process's IMAP session cap per login and host (imapSessionsPerUser), shared by every probe and cycle; none: no cap. */
  sessionSlots?: SessionSlots;
  /** Opens a path (default: the path's receiver from the registry). */
  openPath?: (path: ResolvedPath, signal: AbortSignal) => Promise<Session>;
  /** The clock (default Date.now). */
  now?: () => number;
  /**
   * Read the account's remaining credits when the sender has them (one cheap call, e.g. Brevo's
   * GET /v3/account, while the paths open; it never delays or fails the run). run and serve do.
   */
  readCredits?: boolean;
}

export interface Run {
  probe: ResolvedProbe;
  deps: RunDeps;
  log: Logger;
  now: () => number;
  startedMs: number;
  token: string;
  states: PathState[];
  send: SendResult;
  sender?: Sender;
  sendStartMs: number;
  /** What the sender's event log said during the wait (a final failure, or `delivered` with its time). */
  upstream?: UpstreamEvent;
  /** When the sender recorded the message as delivered (epoch ms), when its log was read. */
  deliveredMs?: number;
  credits?: Promise<number | undefined>;
  /** Set by run.ts's closeRun: a session or sender that arrives later is closed on arrival, never used. */
  closed?: boolean;
}

/** Closes one session or the sender; a failure is logged, never thrown (the others still close). */
export async function closeQuietly(run: Run, what: string, x: { close(): unknown } | undefined): Promise<void> {
  if (!x) return;
  try {
    await x.close();
  } catch (err) {
    run.log.warn({ detail: errText(err) }, `${what} did not close cleanly`);
  }
}
