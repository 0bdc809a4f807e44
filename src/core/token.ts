// Probe tokens: unguessable, carrying their creation time and a MAC, so that the stale sweep can
// prove a message is mailprobe's own before it deletes anything.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";

const PREFIX = "mp1";
const FORMAT = /^mp1\.([0-9a-z]{8,10})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{22})$/;

export interface TokenKey {
  readonly key: Buffer;
}

/** Derives the MAC key of a probe from material only its operator has (its IMAP passwords). */
export function tokenKey(probeName: string, secrets: string[]): TokenKey {
  const h = createHash("sha256").update(`mailprobe-token-v1\0${probeName}\0`);
  for (const s of [...secrets].sort()) h.update(s).update("\0");
  return { key: h.digest() };
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
