// The one proof that a message is mailprobe's own, for the run's own message and for the stale
// sweep alike; every removal path calls `isOurs` right before it removes. Pure.
//
// Ours means: the token header's whole value — or, only when the header is absent (a relay dropped
// it), the whole subject exactly as mailprobe wrote it — is the token; the From is the configured
// sender; the mailbox it was found in is the one the server has selected now. For the run's own
// message the token is this run's; for the sweep it verifies with the configured key and is past
// its own stale time (a version-1 token, which does not carry one: the sweeping probe's setting),
// and the message was stored at least that long ago.
import { parseToken, tokenOfSubject, verifyToken, type TokenKey } from "../core/token.js";

/** What a fetched message says for itself, and where it was found. */
export interface Evidence {
  /** The X-Mailprobe-Token header's whole (unfolded, trimmed) value, when the header is present. */
  tokenHeader?: string;
  /** The subject (from the envelope). */
  subject?: string;
  /** The From address, lower-case. */
  from?: string;
  /** INTERNALDATE (ms), when fetched. */
  storedMs?: number;
  /** The mailbox the message was found in (its UID means something only there). */
  mailbox: string;
}

interface ClaimBase {
  /** The configured sender. */
  from: string;
  /** The probe's name (the only subject that counts is `mailprobe <name> <token>`). */
  probeName: string;
  /** The mailbox the server has selected at the moment of the check (resolved name), if any. */
  selected: string | undefined;
}
/** This run's own message. */
export interface RunClaim extends ClaimBase {
  kind: "run";
  token: string;
}
/** A stale message of an earlier run (or of another probe sharing the key). */
export interface SweepClaim extends ClaimBase {
  kind: "sweep";
  /** The configured key; without one nothing is provable (look-alikes are only counted). */
  key?: TokenKey;
  nowMs: number;
  /** The sweeping probe's staleAfter: the stale time of version-1 tokens, and of unprovable look-alikes. */
  staleAfterMs: number;
}
export type Claim = RunClaim | SweepClaim;

export type NotOurs =
  | "no_token"
  | "other_token"
  | "other_sender"
  | "other_mailbox"
  | "too_recent"
  /** Sweep without a configured key: a stale look-alike (our format, our sender), unprovable. */
  | "no_key"
  /** Sweep: our format and sender, stale, but the MAC fails (another key, or a version before tokenKey). */
  | "bad_mac"
  /** Sweep: proven, but its own stale time is not reached (another probe's message may be in flight). */
  | "not_stale";

export type Verdict = { ours: true; token: string } | { ours: false; why: NotOurs; token?: string };

/** The token a message claims: its header (whole value) if present, else the exact subject's. */
export function claimedToken(e: Evidence, probeName: string): string | undefined {
  return e.tokenHeader !== undefined ? e.tokenHeader : tokenOfSubject(e.subject, probeName);
}

/** Decides whether the message is ours (see the file comment). */
export function isOurs(e: Evidence, c: Claim): Verdict {
  const token = claimedToken(e, c.probeName);
  if (token === undefined || token === "") return { ours: false, why: "no_token" };
  if (c.kind === "run" && token !== c.token) return { ours: false, why: "other_token", token };
  if (c.kind === "sweep" && !parseToken(token)) return { ours: false, why: "no_token", token };
  if (e.from === undefined || e.from !== c.from.toLowerCase()) return { ours: false, why: "other_sender", token };
  if (c.selected === undefined || e.mailbox !== c.selected) return { ours: false, why: "other_mailbox", token };
  return c.kind === "run" ? { ours: true, token } : staleVerdict(e, c, token);
}

function staleVerdict(e: Evidence, c: SweepClaim, token: string): Verdict {
  const storedAgo = c.nowMs - (e.storedMs ?? c.nowMs);
  if (!c.key?.configured) return storedAgo > c.staleAfterMs ? { ours: false, why: "no_key", token } : { ours: false, why: "too_recent", token };
  const t = verifyToken(c.key, token);
  if (!t) return storedAgo > c.staleAfterMs ? { ours: false, why: "bad_mac", token } : { ours: false, why: "too_recent", token };
  const staleAt = t.staleAtMs ?? t.createdMs + c.staleAfterMs;
  if (c.nowMs <= staleAt) return { ours: false, why: "not_stale", token };
  // Stored at least as long ago as the token's own window: a token copied into a newer message is not stale.
  if (storedAgo <= staleAt - t.createdMs) return { ours: false, why: "too_recent", token };
  return { ours: true, token };
}
