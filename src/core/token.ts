// Probe tokens: unguessable, carrying their creation time, the time they go stale and a MAC, so that
// the stale sweep can prove a message is mailprobe's own (and past its own sender's stale time)
// before it deletes anything. The MAC key is a dedicated secret (config `tokenKey`/`tokenKeyFile`),
// never password material: a token travels in subjects, relay logs and JSON, and must not let anyone
// test password guesses offline. This module is the one home of the token's format and of the
// subject mailprobe writes.
import { nodeCrypto } from "./node-crypto.js";

/** Version 1: `mp1.<created>.<random>.<mac>` (still read; its stale time is the sweeping probe's setting). */
const V1 = /^mp1\.([0-9a-z]{8,10})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/;
/** Version 2: `mp2.<created>.<staleAt>.<random>.<mac>`: the sender's own stale time is signed into it. */
const V2 = /^mp2\.([0-9a-z]{8,10})\.([0-9a-z]{8,10})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/;

/** What the sweep's SEARCH asks for (a substring of every version's token). */
export const TOKEN_PREFIXES = ["mp1.", "mp2."] as const;

/** The shortest accepted `tokenKey` (bytes of its UTF-8 form): `openssl rand -hex 32` gives 64. */
export const TOKEN_KEY_MIN_BYTES = 32;
/**
 * The fewest different characters an accepted `tokenKey` holds: refuses "aaaa…" or "0f0f…" (a placeholder,
 * not a secret). 10, not 16: 64 random hex characters miss at least one of the 16 digits about a quarter
 * of the time, but hold fewer than 10 of them about once in 10^12.
 */
export const TOKEN_KEY_MIN_DISTINCT = 10;

export interface TokenKey {
  readonly key: Buffer;
  /** False for a per-run random key (no `tokenKey` configured): nothing older than this run verifies. */
  readonly configured: boolean;
}

/** The MAC key from the configured secret (any string of ≥ 32 bytes, used as given). */
export function tokenKey(secret: string): TokenKey {
  return { key: nodeCrypto().createHash("sha256").update("mailprobe-token-v2\0").update(secret, "utf8").digest(), configured: true };
}

/** Without a configured key: a random one, so the run's own token is well-formed but no sweep can prove anything. */
export function ephemeralTokenKey(): TokenKey {
  return { key: nodeCrypto().randomBytes(32), configured: false };
}

function mac(k: TokenKey, body: string): string {
  return nodeCrypto().createHmac("sha256", k.key).update(body).digest().subarray(0, 16).toString("base64url");
}

/**
 * A new token. With `staleAfterMs` (every run gives it) a version-2 token that says itself when it
 * goes stale, so that no other probe's sweep has to guess from its own setting.
 */
export function newToken(k: TokenKey, nowMs: number = Date.now(), staleAfterMs?: number): string {
  const rnd = nodeCrypto().randomBytes(16).toString("base64url");
  const body = staleAfterMs === undefined ? `mp1.${nowMs.toString(36)}.${rnd}` : `mp2.${nowMs.toString(36)}.${(nowMs + staleAfterMs).toString(36)}.${rnd}`;
  return `${body}.${mac(k, body)}`;
}

export interface ParsedToken {
  version: 1 | 2;
  createdMs: number;
  /** When the token's own sender considers it stale (version 2 only). */
  staleAtMs?: number;
}

/** The token's fields by its format alone (nothing proven: anyone can write one). */
export function parseToken(token: string): (ParsedToken & { body: string; mac: string }) | undefined {
  const t = token.trim();
  const v2 = V2.exec(t);
  if (v2) return { version: 2, createdMs: parseInt(v2[1]!, 36), staleAtMs: parseInt(v2[2]!, 36), body: t.slice(0, t.lastIndexOf(".")), mac: v2[4]! };
  const v1 = V1.exec(t);
  if (v1) return { version: 1, createdMs: parseInt(v1[1]!, 36), body: t.slice(0, t.lastIndexOf(".")), mac: v1[3]! };
  return undefined;
}

/** Whether a string has the form of a token of any version (format only). */
export function looksLikeToken(s: string): boolean {
  return parseToken(s) !== undefined;
}

/** Returns the token's times when it is one of ours (format and MAC), else undefined. */
export function verifyToken(k: TokenKey, token: string): ParsedToken | undefined {
  const p = parseToken(token);
  if (!p) return undefined;
  const want = Buffer.from(mac(k, p.body));
  const got = Buffer.from(p.mac);
  if (want.length !== got.length || !nodeCrypto().timingSafeEqual(want, got)) return undefined;
  return p.version === 2 ? { version: 2, createdMs: p.createdMs, staleAtMs: p.staleAtMs } : { version: 1, createdMs: p.createdMs };
}

/** The header that carries the token (also in the subject: relays may drop X- headers). */
export const TOKEN_HEADER = "X-Mailprobe-Token";

/** The subject mailprobe writes: the only subject that may stand in for a header a relay dropped. */
export function probeSubject(probeName: string, token: string): string {
  return `mailprobe ${probeName} ${token}`;
}

/**
 * The token of a subject that is exactly what mailprobe wrote for `probeName` (unfolded), else
 * undefined: never a token word inside another subject (`Re: mailprobe …`, `Fwd: …`, a digest).
 */
export function tokenOfSubject(subject: string | undefined, probeName: string): string | undefined {
  const s = (subject ?? "").replace(/\r?\n(?=[ \t])/g, "");
  const prefix = probeSubject(probeName, "");
  if (!s.startsWith(prefix)) return undefined;
  const token = s.slice(prefix.length);
  return looksLikeToken(token) && token === token.trim() ? token : undefined;
}

/** Said by run, doctor and every JSON result while no key is configured (an upgrade starts there). */
export function noTokenKeyWarning(): { code: "no_token_key"; message: string; detail: string; hint: string } {
  const detail = "no tokenKey: the stale sweep is off (probe messages left by interrupted runs stay in the mailbox)";
  const hint =
    "Add a dedicated key of at least 32 bytes: tokenKey: ${MAILPROBE_TOKEN_KEY} or tokenKeyFile: /run/secrets/mailprobe/token-key, made with `openssl rand -hex 32`";
  return { code: "no_token_key", message: `${detail}. ${hint}`, detail, hint };
}
