// Secrets never leave the process: every string printed, logged or pushed goes through this.
export type Redactor = (text: string) => string;

export const REDACTED = "[redacted]";

export function makeRedactor(secrets: readonly string[]): Redactor {
  const variants = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < 4) continue;
    variants.add(s);
    variants.add(encodeURIComponent(s));
    variants.add(Buffer.from(s).toString("base64"));
  }
  const list = [...variants].sort((a, b) => b.length - a.length);
  if (!list.length) return (t) => t;
  return (text) => {
    let out = text;
    for (const v of list) if (out.includes(v)) out = out.split(v).join(REDACTED);
    return out;
  };
}

/** Redacts every string inside a JSON-able value. */
export function redactDeep<T>(value: T, redact: Redactor): T {
  return JSON.parse(redact(JSON.stringify(value))) as T;
}
