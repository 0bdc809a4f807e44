// IMAP's modified UTF-7 (RFC 3501 5.1.3), the mailbox-name encoding of a server without
// UTF8=ACCEPT: printable ASCII stands for itself but `&` (written `&-`); anything else is `&`,
// UTF-16BE in base64 with `,` for `/` and no padding, then `-`. Pure; used to validate names.

export function encodeMutf7(name: string): string {
  let out = "";
  let run = "";
  const flush = () => {
    if (!run) return;
    const be = Buffer.from(run, "utf16le").swap16();
    out += `&${be.toString("base64").replace(/=+$/, "").replace(/\//g, ",")}-`;
    run = "";
  };
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (c >= 0x20 && c <= 0x7e) {
      flush();
      out += ch === "&" ? "&-" : ch;
    } else run += ch;
  }
  flush();
  return out;
}

/** The name a modified UTF-7 text stands for; undefined when it is not valid modified UTF-7. */
export function decodeMutf7(text: string): string | undefined {
  let out = "";
  for (let i = 0; i < text.length;) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return undefined;
    if (text[i] !== "&") {
      out += text[i++];
      continue;
    }
    const end = text.indexOf("-", i + 1);
    if (end < 0) return undefined;
    const b64 = text.slice(i + 1, end);
    i = end + 1;
    if (!b64) {
      out += "&";
      continue;
    }
    if (!/^[A-Za-z0-9+,]+$/.test(b64)) return undefined;
    const bytes = Buffer.from(b64.replace(/,/g, "/"), "base64");
    if (bytes.length % 2) return undefined;
    const s = Buffer.from(bytes).swap16().toString("utf16le");
    // A run must encode what could not be written directly, and canonically (RFC 3501).
    if ([...s].some((ch) => ch.codePointAt(0)! >= 0x20 && ch.codePointAt(0)! <= 0x7e) || encodeMutf7(s) !== `&${b64}-`) return undefined;
    out += s;
  }
  return out;
}
