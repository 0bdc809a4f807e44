// Secrets never leave the process: every value printed, logged, pushed or answered is redacted
// BEFORE it is serialised (redactDeep walks it), and the serialised text once more as a fallback.
// A secret is matched raw, URL-encoded, base64 and JSON-escaped: a secret holding `"`, `\` or a
// newline looks different once inside JSON, so the serialised form needs its own variant.
export type Redactor = (text: string) => string;

export const REDACTED = "[redacted]";

/** The forms a secret can take in output. */
function variantsOf(s: string): string[] {
  const jsonEscaped = JSON.stringify(s).slice(1, -1);
  return [s, encodeURIComponent(s), Buffer.from(s).toString("base64"), jsonEscaped, JSON.stringify(jsonEscaped).slice(1, -1)];
}

/**
 * A text redactor. With `json`, for text that is already JSON: forms that JSON would have escaped
 * cannot occur literally inside a string and are left out, so a replacement never cuts the syntax.
 */
export function makeRedactor(secrets: readonly string[], opts: { json?: boolean } = {}): Redactor {
  const variants = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < 4) continue;
    // Inside JSON text every form appears JSON-escaped.
    for (const v of variantsOf(s)) variants.add(opts.json ? JSON.stringify(v).slice(1, -1) : v);
  }
  const list = [...variants].sort((a, b) => b.length - a.length);
  if (!list.length) return (t) => t;
  const replace = opts.json ? replaceOutsideEscapes : (t: string, v: string) => t.split(v).join(REDACTED);
  return (text) => {
    let out = text;
    for (const v of list) if (out.includes(v)) out = replace(out, v);
    return out;
  };
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
