// Generated secrets and the ways a peer can carry them back (issue 18, "peer text is tainted"):
// a secret is wrapped as a client sends it (HTTP Basic, SASL PLAIN, XOAUTH2, URL userinfo, a JSON
// or multipart body) at a random offset, and the wrapping is echoed in one of the encodings a peer
// can produce. `decodable` then tries every decoding on an output and says whether the secret is
// still in it: the test's check does not reuse the redactor's own list of forms.
import { rng } from "../helpers/prng.js";

const ALPHABET = ['"', "\\", "\n", "ö", "✓", "🙂", "%", "+", "/", "=", " ", ":", "@", "\0"];

/** A secret of 8–128 UTF-8 bytes holding `"`, `\`, a newline and unicode among printable ASCII. */
export function genSecret(r: () => number): string {
  const want = 8 + Math.floor(r() * 121);
  let s = "";
  while (Buffer.byteLength(s) < want) s += r() < 0.25 ? ALPHABET[Math.floor(r() * ALPHABET.length)] : String.fromCharCode(33 + Math.floor(r() * 94));
  // Always one of each awkward kind, somewhere.
  const chars = Array.from(s);
  const at = Math.floor(r() * chars.length);
  return chars.slice(0, at).join("") + '"\\\n✓' + chars.slice(at).join("");
}

const word = (r: () => number, n: number) => Array.from({ length: Math.floor(r() * n) }, () => String.fromCharCode(97 + Math.floor(r() * 26))).join("");

/** How a client carries the secret (what a peer may repeat). */
export const CARRIERS: Record<string, (secret: string, r: () => number) => string> = {
  basic: (s, r) => `Basic ${Buffer.from(`${word(r, 12)}:${s}`).toString("base64")}`,
  saslPlain: (s, r) => Buffer.from(`${word(r, 3)}\0${word(r, 12)}\0${s}`).toString("base64"),
  xoauth2: (s, r) => Buffer.from(`user=${word(r, 12)}@example.org\x01auth=Bearer ${s}\x01\x01`).toString("base64"),
  urlUserinfo: (s, r) => `https://${word(r, 8)}:${encodeURIComponent(s)}@gw.example.org/metrics`,
  json: (s, r) => JSON.stringify({ [word(r, 6) || "k"]: word(r, 20), apiKey: s }),
  multipart: (s, r) => `--b${word(r, 6)}\r\nContent-Disposition: form-data; name="token"\r\n\r\n${s}\r\n--b--`,
};

/** Carriers whose wire form is already base64: a peer repeats that text, it does not encode it again. */
export const BASE64_CARRIERS = new Set(["basic", "saslPlain", "xoauth2"]);
export const TEXT_ECHOES = new Set(["raw", "url", "form", "json", "qp"]);

/** How a peer echoes what it was sent. */
export const ECHOES: Record<string, (text: string) => string> = {
  raw: (t) => t,
  url: (t) => encodeURIComponent(t),
  form: (t) => new URLSearchParams({ q: t }).toString().slice(2),
  json: (t) => JSON.stringify(t),
  base64: (t) => Buffer.from(t).toString("base64"),
  base64url: (t) => Buffer.from(t).toString("base64url"),
  hex: (t) => Buffer.from(t).toString("hex"),
  qp: (t) =>
    [...Buffer.from(t)].map((b) => (b >= 33 && b <= 126 && b !== 61 ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, "0")}`)).join(""),
};

/** Wraps `text` in a peer's sentence at a random position. */
export function inReply(r: () => number, text: string): string {
  return `${word(r, 10)} NO [AUTHENTICATIONFAILED] ${word(r, 8)} ${text} ${word(r, 6)}`;
}

const tryDecode = (f: () => string): string => {
  try {
    return f();
  } catch {
    return "";
  }
};

/** Every decoding of every piece of `text` we know, nested twice; true when one of them holds `secret`. */
export function decodable(text: string, secret: string, depth = 2): boolean {
  const utf8 = Buffer.from(secret).toString("latin1");
  const views = decodings(text);
  if (views.some((v) => v.includes(secret) || v.includes(utf8))) return true;
  return depth > 0 && views.some((v) => v.length >= 8 && v !== text && decodable(v, secret, depth - 1));
}

function decodings(text: string): string[] {
  const views = [text];
  // URL decoding as often as it changes something (a URL echoed inside a URL).
  for (let v = text, i = 0; i < 3; i++) {
    const once = tryDecode(() => decodeURIComponent(v));
    views.push(
      once,
      tryDecode(() => decodeURIComponent(v.replace(/\+/g, " "))),
    );
    if (!once || once === v) break;
    v = once;
  }
  for (const m of text.match(/"(?:[^"\\]|\\.)*"/g) ?? []) views.push(tryDecode(() => JSON.parse(m) as string));
  for (const run of text.match(/[A-Za-z0-9+/_-]{8,}/g) ?? []) {
    for (let shift = 0; shift < 4; shift++) {
      const piece = run.slice(shift);
      views.push(Buffer.from(piece, "base64").toString("latin1"), Buffer.from(piece.replace(/-/g, "+").replace(/_/g, "/"), "base64").toString("latin1"));
    }
  }
  for (const run of text.match(/[0-9a-fA-F]{8,}/g) ?? [])
    for (let shift = 0; shift < 2; shift++) views.push(Buffer.from(run.slice(shift), "hex").toString("latin1"));
  if (/=[0-9A-F]{2}/.test(text)) views.push(text.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))));
  return [...new Set(views.filter(Boolean))];
}

export { rng };
