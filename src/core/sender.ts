// The sender contract and its registry (blackbox_exporter's prober map, nodemailer's transports):
// a sender module says everything the rest needs to know of it — its config schema, how to resolve
// its secrets, how to build it, its doctor check and hints, whether it has credits to show. The
// config's sender union, `watch --via`, doctor and the watch budget are built from this registry at
// run time. It lives on the ground floor because the config floor builds its schema from it.
import type * as z from "zod/mini";
import { registerIn } from "./registry.js";
import { createBudgets, type RateBudget, type RateBudgetOptions } from "./rate-budget.js";
import type { Diagnosis, Reason } from "./reasons.js";

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
  /** The classified failure (a code of the catalogue), when not ok. */
  reason?: Reason;
  /** Remaining send credits of the account, when the sender has credits to show. */
  credits?: number;
}

/** What the sender's event log says of an accepted message, as the run waits. */
export interface UpstreamEvent {
  code: Diagnosis;
  detail?: string;
  /** When the upstream recorded it (epoch ms), from its log. */
  atMs?: number;
  /** A final failure (bounce, block, invalid address, error): the message will not arrive. */
  final: boolean;
}

/** Process-wide things a sender may share between runs (serve and watch run many). */
export interface SenderContext {
  /** A rate budget by name (e.g. Brevo's event log), the same object for every probe of the process. */
  budget(name: string, opts: RateBudgetOptions): RateBudget;
}

/** One per process (run, serve, watch), handed to every run through RunDeps. */
export function createSenderContext(): SenderContext {
  return { budget: createBudgets() };
}

/**
 * A sender, made per run. Failures follow the convention in core/errors.ts: `send`, `verify`,
 * `watchEvents` and `diagnose` return what the peer answered as data (a `reason` from the catalogue,
 * never a throw for a peer's failure); a cut-off by the caller's signal is a result too (`send_timeout`).
 */
export interface Sender {
  /** Work that may run while the IMAP paths open (e.g. Brevo's blocklist check). */
  prepare?(to: string, signal: AbortSignal): Promise<string[]>;
  /** Sends once, retrying within `deadlineMs` (epoch) by the sender's own policy. */
  send(msg: OutgoingMessage, signal: AbortSignal, deadlineMs: number): Promise<SendOutcome>;
  /**
   * Reads the event log on the sender's own schedule and budget while the run waits, calling
   * `onEvent` with what it finds (e.g. `delivered` with its time); resolves with the first final
   * failure, or when `signal` aborts (then undefined).
   */
  watchEvents?(messageId: string, to: string, signal: AbortSignal, onEvent: (e: UpstreamEvent) => void): Promise<UpstreamEvent | undefined>;
  /** What happened to an accepted message that no path saw. */
  diagnose?(messageId: string, to: string, signal: AbortSignal): Promise<{ code: Diagnosis; detail?: string }>;
  /** Checks credentials without sending (doctor). */
  verify?(signal: AbortSignal): Promise<VerifyOutcome>;
  close(): void;
}

/** What every resolved sender config has; the rest is the module's own. */
export interface SenderConfig {
  type: string;
  from: string;
  fromName?: string;
  [field: string]: unknown;
}

/** The config loader's helpers for one sender block (`field` is e.g. `probes[0].sender`). */
/** Where a secret goes on the wire, when that limits what it may hold. */
export type SecretWire = "http-header";

export interface ResolveContext {
  field: string;
  /**
   * `key` or `keyFile`, exactly one when `required`; problems are recorded under the field. `wire`:
   * where the secret is written (`http-header`: checked against that grammar once it is read).
   */
  secret(key: string, required: boolean, wire?: SecretWire): string | undefined;
  /** Reads a CA bundle; problems are recorded under `field.key`. */
  readFile(file: string | undefined, key: string): string | undefined;
  issue(key: string, message: string, example?: string): void;
  /** A secret that is set but too short to redact from output: recorded under `field.key`, never its value. */
  checkSecret(value: string | undefined, key: string): void;
}

/** A listener whose certificate run and doctor read (EHLO, STARTTLS when asked, EHLO, QUIT; no MAIL). */
export interface CertTarget {
  host: string;
  port: number;
  security: "tls" | "starttls";
  servername?: string;
  ca?: string;
  localAddress?: string;
  proxyProtocol?: { sourceAddress: string; sourcePort: number };
  heloName: string;
  mailFrom: string;
  timeoutMs: number;
}

export interface SenderModule<C extends SenderConfig = SenderConfig> {
  /** The config's `type` value, the `--via` choice and the SendResult's `type`. */
  type: string;
  /** How people call it ("Brevo", "SMTP submission"). */
  displayName: string;
  /** The zod object of its config block, with `type: z.literal(type)`: zod/mini's (as the built-ins) or classic zod's. */
  schema: z.core.$ZodObject;
  /** Secret fields of its block (`apiKey` → also `apiKeyFile`): redacted, shown with an example. */
  secretFields?: Record<string, string>;
  /**
   * Parsed block → resolved config (secrets and files read). The module's own cross-field rules live
   * here too (e.g. a password over a clear-text connection): each problem is recorded with
   * `ctx.issue` naming its field and a fix, and loading goes on so that every problem is reported.
   */
  resolve(parsed: Record<string, unknown>, ctx: ResolveContext): C;
  /** Every secret value a resolved config holds (for redaction). */
  secrets(cfg: C): (string | undefined)[];
  create(cfg: C, ctx?: SenderContext): Promise<Sender>;
  /** True when `verify` reports remaining credits worth budgeting (watch); published as mailprobe_brevo_credits_remaining whatever the type. */
  hasCredits?: boolean;
  /**
   * The TLS listener this sender talks to, when it has one: run publishes its certificate's expiry
   * (mailprobe_smtp_tls_cert_expiry_timestamp_seconds, listener `sender`), doctor shows it.
   */
  certTarget?(cfg: C): CertTarget | undefined;
  doctor: {
    /** The check's name in doctor's table. */
    check: string;
    /** Likely cause and what to check next, by the code `verify` classified; `default` otherwise. */
    hints: Partial<Record<Reason, string>> & { default: string };
  };
}

/** The registry: one map, filled by `builtins()` (src/builtins.ts) and by `registerSender`. */
const SENDERS = new Map<string, SenderModule>();

/** Adds a sender type (or replaces one of the same type); call before loading a config. Returns the function that removes it again. */
export function registerSender<C extends SenderConfig>(module: SenderModule<C>): () => void {
  return registerIn(SENDERS, module.type, module as unknown as SenderModule);
}

export function senderModules(): SenderModule[] {
  return [...SENDERS.values()];
}

/** The module of a type, or undefined when none is registered (a test's fake sender, a `--via` typo). */
export function findSenderModule(type: string): SenderModule | undefined {
  return SENDERS.get(type);
}

/** The module of a type that the config already checked is registered; throws otherwise. */
export function senderModule(type: string): SenderModule {
  const m = SENDERS.get(type);
  if (!m) throw new Error(`no sender of type "${type}" is registered`);
  return m;
}

/** The registered types as prose: `"a", "b" or "c"` (quoted) or `a, b or c`. */
export function senderTypeList(quoted = true): string {
  const types = senderModules().map((m) => (quoted ? `"${m.type}"` : m.type));
  return types.length > 1 ? `${types.slice(0, -1).join(", ")} or ${types.at(-1)}` : (types[0] ?? "(no sender registered)");
}

export function createSender(cfg: SenderConfig, ctx?: SenderContext): Promise<Sender> {
  return senderModule(cfg.type).create(cfg, ctx);
}
