// Mailbox names as the server will see them, decided once at open. Pure.
// imapflow normalises every name it sends (`normalizePath`, dist/esm/tools.js): INBOX in any case
// becomes `INBOX`, and any other name without the personal namespace's prefix gets it (`Junk` →
// `INBOX.Junk` on Courier, Cyrus's traditional mode, Dovecot with `prefix = INBOX.`). We resolve the
// same way from imapflow's own NAMESPACE answer (no second resolver) and compare the selected
// mailbox against the resolved name, never against the configured spelling.

/** imapflow's `client.namespace` (the personal namespace of its NAMESPACE answer). */
export interface Namespace {
  prefix?: string | null;
  delimiter?: string | null;
}

/** The name imapflow will send for `name` (what `client.mailbox.path` says after selecting it). */
export function resolveName(ns: Namespace | undefined, name: string): string {
  if (name.toUpperCase() === "INBOX") return "INBOX";
  const prefix = ns?.prefix ?? "";
  return prefix && !name.startsWith(prefix) ? prefix + name : name;
}

/** A mailbox of the LIST answer, as imapflow reports it. */
export interface Listed {
  path: string;
  specialUse?: string;
  /** `extension`: the server's own SPECIAL-USE flag; `name`: imapflow's guess from the name; `user`. */
  specialUseSource?: string;
  flags?: Set<string>;
}

/** A mailbox the server itself flags SPECIAL-USE `use` (never imapflow's guess by name). */
export function flaggedMailbox(list: Listed[], use: "\\Junk" | "\\Trash"): string | undefined {
  const want = use.toLowerCase();
  const byFlag = list.find((b) => [...(b.flags ?? [])].some((f) => f.toLowerCase() === want));
  if (byFlag) return byFlag.path;
  return list.find((b) => b.specialUse === use && b.specialUseSource === "extension")?.path;
}

export interface JunkChoice {
  /** The resolved junk mailbox, or undefined: no Junk checks. */
  name?: string;
  /** Where it came from: said in the path's notes and by doctor. */
  why: string;
}

/**
 * The junk mailbox of a path: `none` turns the checks off; a configured name wins (resolved);
 * unset, the mailbox the server flags SPECIAL-USE \Junk; else none.
 */
export function chooseJunk(ns: Namespace | undefined, configured: string | undefined, list: Listed[] | undefined): JunkChoice {
  if (configured !== undefined && configured.toLowerCase() === "none") return { why: "junkMailbox: none: Junk checks are off" };
  if (configured !== undefined) {
    const name = resolveName(ns, configured);
    return { name, why: name === configured ? `junkMailbox ${name} (configured)` : `junkMailbox ${configured} (configured) is ${name} on this server` };
  }
  const flagged = list ? flaggedMailbox(list, "\\Junk") : undefined;
  if (flagged) return { name: flagged, why: `junk mailbox ${flagged}: the server flags it SPECIAL-USE \\Junk (no junkMailbox configured)` };
  return { why: "no junkMailbox configured and no mailbox flagged SPECIAL-USE \\Junk: a message filed as spam is reported only at the deadline" };
}

export interface TrashChoice {
  name?: string;
  why: string;
}

/** Where `moved-to-trash` moves: a configured `trashMailbox` wins, then SPECIAL-USE \Trash; never a guess by name. */
export function chooseTrash(ns: Namespace | undefined, configured: string | undefined, list: Listed[]): TrashChoice {
  if (configured !== undefined) return { name: resolveName(ns, configured), why: "imap.trashMailbox" };
  const flagged = flaggedMailbox(list, "\\Trash");
  if (flagged) return { name: flagged, why: "SPECIAL-USE \\Trash" };
  return { why: "no trashMailbox configured and no mailbox flagged SPECIAL-USE \\Trash" };
}
