// Doctor's hints for a failed step, keyed by the reason code the step's error carries (the
// catalogue's codes): what to check next on this path. The catalogue says what the code means.
import type { ResolvedPath } from "../config/load.js";
import type { Reason } from "../core/reasons.js";

const PATH_HINTS: Partial<Record<Reason, (path: ResolvedPath) => string>> = {
  imap_auth: (path) => `the server refused ${path.user}: check user and password(File) (the Secret's key, a trailing newline?); Dovecot's auth log says why`,
  imap_mailbox: (path) => `mailbox "${path.mailbox}" cannot be opened: check its name (case, separator) and the user's rights`,
};

/** The hint for a path step that failed with `code`; `fallback` when the catalogue code has none. */
export function hintFor(code: Reason | undefined, path: ResolvedPath, fallback: string): string {
  const hint = code && PATH_HINTS[code];
  return hint ? hint(path) : fallback;
}
