// What a peer says (a server's greeting or error, an HTTP body, an SMTP reply) is tainted: it may
// repeat a credential in any encoding. It reaches an output only as PeerText, cut short and through
// the one sanitiser (redact.ts) like everything else; and an answer to a request that carried
// credentials is not shown at all: its status and a fixed phrase say everything a person needs.
declare const peer: unique symbol;

/** Text a peer wrote: one line, at most `maxChars`, control characters folded. Still to be redacted. */
export type PeerText = string & { readonly [peer]: true };

export function peerText(raw: string, maxChars = 160): PeerText {
  const line = raw
    .replace(/[\u0000-\u001f\u007f]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return (line.length > maxChars ? `${line.slice(0, maxChars)}…` : line) as PeerText;
}

/** The fixed phrase that stands for the free text of an answer to a request carrying credentials. */
export const WITHHELD = "answer text withheld (the request carried credentials)";

/** `<what> <status>: <fixed phrase>` — the whole of what is shown of an answer to an authenticated request. */
export function authAnswer(what: string, status: number | string): string {
  return `${what} ${status}: ${WITHHELD}`;
}
