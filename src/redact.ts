// Secrets never leave the process: every value printed, logged, pushed or answered is redacted
// BEFORE it is serialised (redactDeep walks it), and the serialised text once more as a fallback.
// This is the one sanitiser for everything that reaches an output, peer text included (a server's
// greeting or error, an HTTP body, an SMTP reply: see peer-text.ts). A secret is matched in every
// encoding a peer can echo it in: raw, URL (percent, twice, and form), JSON-escaped (once and twice), hex,
// quoted-printable, and base64 in both alphabets at each of the three byte alignments — base64 of
// `prefix + secret` (HTTP Basic's `user:password`, SASL PLAIN's `\0user\0password`, XOAUTH2) always
// contains one of three fixed substrings derived from the secret alone, whatever the prefix is.
export type Redactor = (text: string) => string;

export const REDACTED = "[redacted]";

const B64_CHARS = /[A-Za-z0-9+/=_-]/;

/** The three base64 substrings (standard alphabet, no padding) that base64 of `anything + secret + anything` contains. */
export function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret);
  const out: string[] = [];
  for (let start = 0; start < 3; start++) {
    const tail = bytes.subarray(start);
    const whole = tail.subarray(0, Math.floor(tail.length / 3) * 3);
    // Shorter than one group: no fixed substring exists; the raw forms still apply.
    if (whole.length >= 3) out.push(whole.toString("base64"));
  }
  return out;
}

/** Quoted-printable (RFC 2045) of a secret: printable ASCII but `=` as is, everything else `=XX`. */
function quotedPrintable(s: string): string {
  let out = "";
  for (const b of Buffer.from(s)) out += b >= 33 && b <= 126 && b !== 61 ? String.fromCharCode(b) : `=${b.toString(16).toUpperCase().padStart(2, "0")}`;
  return out;
}

// A lone surrogate cannot be URL-encoded (it cannot be sent either): that form then does not exist.
const uri = (v: string) => {
  try {
    return encodeURIComponent(v);
  } catch {
    return v;
  }
};
const form = (v: string) => new URLSearchParams({ v }).toString().slice(2);
const jsonEscaped = (v: string) => JSON.stringify(v).slice(1, -1);
// Percent-encoding is case-insensitive (RFC 3986 §2.1): a peer may echo `%2f` for `%2F`.
const pctLower = (v: string) => v.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
const uriForms = (v: string) => [uri(v), pctLower(uri(v)), form(v), pctLower(form(v))];
// JSON serialisers differ: PHP's json_encode writes `/` as `\/`; Python's json.dumps (ensure_ascii)
// writes every non-ASCII character as `\uXXXX` (lower-case hex), others in upper case.
const asciiJson = (v: string, upper: boolean) =>
  jsonEscaped(v).replace(/[\u007f-\uffff]/g, (c) => {
    const h = c.charCodeAt(0).toString(16).padStart(4, "0");
    return `\\u${upper ? h.toUpperCase() : h}`;
  });
const jsonForms = (v: string) => {
  const forms = [jsonEscaped(v), asciiJson(v, false), asciiJson(v, true)];
  return [...forms, ...forms.map((f) => f.replace(/\//g, "\\/"))];
};

/** The forms a client writes a secret in (as is, in a URL, in a form, in JSON): each may be echoed encoded once more. */
const writtenForms = (s: string) => [...new Set([s, ...uriForms(s), ...jsonForms(s)])];

/** The plain (non-base64) forms a secret can take in output. */
function plainVariantsOf(s: string): string[] {
  const written = writtenForms(s);
  const hex = (v: string) => Buffer.from(v).toString("hex");
  return [...new Set([...written, ...written.flatMap((w) => [...uriForms(w), ...jsonForms(w), hex(w), hex(w).toUpperCase(), quotedPrintable(w)])])];
}

/** The base64 forms: each alignment's core of each written form, in the standard and URL-safe alphabets, and URL-encoded. */
function base64VariantsOf(s: string): string[] {
  const out: string[] = [];
  for (const core of new Set(writtenForms(s).flatMap(base64Cores))) {
    const urlSafe = core.replace(/\+/g, "-").replace(/\//g, "_");
    out.push(core, urlSafe, uri(core));
  }
  return out;
}

/**
 * A text redactor. With `json`, for text that is already JSON: forms that JSON would have escaped
 * cannot occur literally inside a string and are left out, so a replacement never cuts the syntax.
 * Outside JSON, a base64 match takes its whole base64 word with it: the characters around a core
 * would otherwise still carry a secret's first or last byte.
 */
export function makeRedactor(secrets: readonly string[], opts: { json?: boolean } = {}): Redactor {
  const plain = new Set<string>();
  const b64 = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < 4) continue;
    // Inside JSON text every form appears JSON-escaped.
    const inJson = (v: string) => (opts.json ? JSON.stringify(v).slice(1, -1) : v);
    for (const v of plainVariantsOf(s)) plain.add(inJson(v));
    for (const v of base64VariantsOf(s)) b64.add(inJson(v));
  }
  const list = [...plain].map((v) => ({ v, word: false })).concat([...b64].map((v) => ({ v, word: !opts.json })));
  list.sort((a, b) => b.v.length - a.v.length);
  if (!list.length) return (t) => t;
  return (text) => {
    let out = text;
    for (const { v, word } of list) {
      if (!out.includes(v)) continue;
      out = opts.json ? replaceOutsideEscapes(out, v) : word ? replaceWord(out, v) : out.split(v).join(REDACTED);
    }
    return out;
  };
}

/** Replaces each match of `v` together with the run of base64 characters around it. */
function replaceWord(text: string, v: string): string {
  let out = "";
  let from = 0;
  for (let i = text.indexOf(v); i >= 0; i = text.indexOf(v, from)) {
    let a = i;
    let b = i + v.length;
    while (a > from && B64_CHARS.test(text[a - 1]!)) a--;
    while (b < text.length && B64_CHARS.test(text[b]!)) b++;
    out += text.slice(from, a) + REDACTED;
    from = b;
  }
  return out + text.slice(from);
}

/** Replaces `v` in JSON text except where it would start inside an escape (after an odd run of `\`). */
function replaceOutsideEscapes(text: string, v: string): string {
  let out = "";
  let from = 0;
  for (let i = text.indexOf(v); i >= 0; i = text.indexOf(v, i + 1)) {
    if (i < from) continue;
    let slashes = 0;
    while (i - slashes - 1 >= 0 && text[i - slashes - 1] === "\\") slashes++;
    if (slashes % 2) continue;
    out += text.slice(from, i) + REDACTED;
    from = i + v.length;
  }
  return out + text.slice(from);
}

/**
 * Redacts every string (and object key) inside a value, before it is serialised. Errors become
 * plain `{ type, message, stack }` objects; cycles are cut. Returns a copy; the input is untouched.
 */
export function redactDeep<T>(value: T, redact: Redactor): T {
  const seen = new WeakSet<object>();
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return redact(v);
    if (v === null || typeof v !== "object") return v;
    if (seen.has(v)) return "[cycle]";
    seen.add(v);
    if (v instanceof Error) {
      const e = v as Error & Record<string, unknown>;
      return { type: e.name, message: walk(e.message), stack: walk(e.stack), ...(walk({ ...e }) as object) };
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v instanceof Date || ArrayBuffer.isView(v)) return v;
    if (typeof (v as { toJSON?: unknown }).toJSON === "function") return walk((v as { toJSON: () => unknown }).toJSON());
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [redact(k), walk(x)]));
  };
  return walk(value) as T;
}

/** A redactor that can be taught more secrets while it is in use (serve re-reads rotated secret files each cycle). */
export interface LearningRedactor extends Redactor {
  /** Adds secrets; those it knew stay known (an old password may still be echoed by a peer). */
  learn(secrets: readonly string[]): void;
}

export function learningRedactor(secrets: readonly string[], opts: { json?: boolean } = {}): LearningRedactor {
  const known = new Set(secrets);
  let current = makeRedactor([...known], opts);
  const redactor = ((text: string) => current(text)) as LearningRedactor;
  redactor.learn = (more) => {
    const before = known.size;
    for (const s of more) known.add(s);
    if (known.size !== before) current = makeRedactor([...known], opts);
  };
  return redactor;
}
