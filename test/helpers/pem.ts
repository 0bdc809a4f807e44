// Shared by the CA-outline tests (test/config/pem.test.ts, pem-hostile.test.ts): OpenSSL run in a
// directory of their own, PEM ⇄ DER, and X509Certificate's verdict, which the outline
// (src/config/pem.ts) must never contradict with a yes.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh temp directory and `openssl …` run in it (stdout as text). */
export function opensslDir(prefix: string): { dir: string; openssl: (...args: string[]) => string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, openssl: (...args) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] }).toString() };
}

/** Whether Node's X509Certificate (OpenSSL) reads the text. */
export const x509Reads = (text: string): boolean => {
  try {
    new X509Certificate(text);
    return true;
  } catch {
    return false;
  }
};

/** The DER of a PEM text (its first block's base64, headers and whitespace dropped). */
export const derOf = (pem: string): Buffer => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64");

/** DER as a CERTIFICATE block: 64-character lines, none empty (OpenSSL refuses a blank line before END). */
export const pemOf = (der: Uint8Array): string =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(der)
    .toString("base64")
    .replace(/.{64}(?=.)/g, "$&\n")}\n-----END CERTIFICATE-----\n`;
