// Probe tokens: unguessable, carrying their creation time and a MAC, so that the stale sweep can
// prove a message is mailprobe's own before it deletes anything. The MAC key is a dedicated secret
// (config `tokenKey`/`tokenKeyFile`), never password material: a token travels in subjects, relay
// logs and JSON, and must not let anyone test password guesses offline.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const PREFIX = "mp1";
const FORMAT = /^mp1\.([0-9a-z]{8,10})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/;

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
  return { key: createHash("sha256").update("mailprobe-token-v2\0").update(secret, "utf8").digest(), configured: true };
}

/** Without a configured key: a random one, so the run's own token is well-formed but no sweep can prove anything. */
export function ephemeralTokenKey(): TokenKey {
  return { key: randomBytes(32), configured: false };
}

function mac(k: TokenKey, body: string): string {
  return createHmac("sha256", k.key).update(body).digest().subarray(0, 16).toString("base64url");
}

export function newToken(k: TokenKey, nowMs: number = Date.now()): string {
  const body = `${PREFIX}.${nowMs.toString(36)}.${randomBytes(16).toString("base64url")}`;
  return `${body}.${mac(k, body)}`;
}

export interface ParsedToken {
  createdMs: number;
}

/** Returns the token's creation time when it is one of ours (format and MAC), else undefined. */
export function verifyToken(k: TokenKey, token: string): ParsedToken | undefined {
  const m = FORMAT.exec(token.trim());
  if (!m) return undefined;
  const body = `${PREFIX}.${m[1]}.${m[2]}`;
  const want = Buffer.from(mac(k, body));
  const got = Buffer.from(m[3]!);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return undefined;
  return { createdMs: parseInt(m[1]!, 36) };
}

/** The header that carries the token (also in the subject: relays may drop X- headers). */
export const TOKEN_HEADER = "X-Mailprobe-Token";

/** Said by run, doctor and every JSON result while no key is configured (an upgrade starts there). */
export function noTokenKeyWarning(): { code: "no_token_key"; message: string } {
  return {
    code: "no_token_key",
    message:
      "no tokenKey: the stale sweep is off (probe messages left by interrupted runs stay in the mailbox). Add a dedicated key of at least 32 bytes: " +
      "tokenKey: ${MAILPROBE_TOKEN_KEY} or tokenKeyFile: /run/secrets/mailprobe/token-key, made with `openssl rand -hex 32`",
  };
}
