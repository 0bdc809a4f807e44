// How an IMAP session removes a probe message without touching anyone else's mail. Plain EXPUNGE
// removes every message flagged \Deleted in the folder (a mail client's pending deletes too), so it
// is never sent: with UIDPLUS (RFC 4315) `UID EXPUNGE <uid>` removes exactly ours; without it, with
// MOVE (RFC 6851), `UID MOVE <uid>` into the configured `trashMailbox` or the SPECIAL-USE \Trash
// mailbox (RFC 6154); else the message is left, flagged \Seen only (never \Deleted: a later EXPUNGE by
// a mail client would then remove it on our behalf, at a time when nobody proves anything).
// Every removal here is of messages `isOurs` (./ownership.ts) has just accepted in the selected mailbox.
import type { FetchMessageObject, FetchQueryObject } from "imapflow";
import { TOKEN_HEADER, TOKEN_PREFIXES } from "../core/token.js";
import type { Selected } from "./imap-box.js";
import { chooseTrash, type Listed, type Namespace } from "./imap-names.js";
import { isOurs, type Evidence } from "./ownership.js";
import type { CleanupAction, CleanupMode, SweepOptions, SweepResult } from "./session.js";

/** What the ownership proof needs of a message: fetch `headers: [x-mailprobe-token]`, `envelope`, `internalDate`. */
export const PROOF_QUERY: FetchQueryObject = { headers: [TOKEN_HEADER.toLowerCase()], envelope: true, internalDate: true };

/** The evidence of a fetched message found in `mailbox`. */
export function evidenceOf(msg: FetchMessageObject, mailbox: string): Evidence {
  // Unfolded first: senders fold a long header onto the next line ("X-Mailprobe-Token:\r\n mp2.…").
  const raw = (msg.headers?.toString("utf8") ?? "").replace(/\r?\n[ \t]+/g, " ");
  // The header's whole value: a header that is present but is not our token alone proves nothing,
  // and the subject never stands in for it (only a header dropped by a relay lets the subject count).
  const h = new RegExp(`^${TOKEN_HEADER}:[ \\t]*(.*?)[ \\t\\r]*$`, "im").exec(raw);
  const stored = msg.internalDate ? new Date(msg.internalDate).getTime() : undefined;
  return { tokenHeader: h?.[1], subject: msg.envelope?.subject, from: msg.envelope?.from?.[0]?.address?.toLowerCase(), storedMs: stored, mailbox };
}

/** Whether a message carries `token` (finding, not removing): the header, or a subject ending in it when the header is absent. */
export function carries(e: Evidence, token: string): boolean {
  if (e.tokenHeader !== undefined) return e.tokenHeader === token;
  return (
    (e.subject ?? "")
      .replace(/\r?\n(?=[ \t])/g, "")
      .split(" ")
      .at(-1) === token
  );
}

export interface CleanupPlan {
  mode: CleanupMode;
  /** Where `moved-to-trash` moves to (resolved name). */
  trash?: string;
  /** Why this mode (for the result, doctor and logs). */
  why: string;
}

/** The cleanup mode from the capabilities and (only without UIDPLUS but with MOVE) the mailbox list. Pure. */
export function planCleanup(
  caps: Map<string, unknown>,
  ns: Namespace | undefined,
  configuredTrash: string | undefined,
  watched: string,
  list: Listed[],
): CleanupPlan {
  if (caps.has("UIDPLUS")) return { mode: "uid-expunge", why: "the server announces UIDPLUS: UID EXPUNGE removes exactly the probe message" };
  if (!caps.has("MOVE")) {
    return { mode: "left", why: "the server announces neither UIDPLUS nor MOVE: probe messages are left (flagged \\Seen), never expunged" };
  }
  const trash = chooseTrash(ns, configuredTrash, list);
  if (!trash.name || trash.name === watched) {
    const why = trash.name ? "the trash mailbox is the watched one" : trash.why;
    return { mode: "left", why: `the server announces no UIDPLUS and ${why}: probe messages are left (flagged \\Seen), never expunged` };
  }
  return {
    mode: "moved-to-trash",
    trash: trash.name,
    why: `the server announces no UIDPLUS: probe messages are moved (UID MOVE) to ${trash.name} (${trash.why}), never expunged`,
  };
}

/** Removes the given UIDs (just proven ours) from the selected mailbox as the plan allows. */
export async function removeUids(box: Selected, plan: CleanupPlan, uids: number[]): Promise<CleanupAction> {
  const range = uids.join(",");
  const n = uids.length === 1 ? `uid ${range}` : `${uids.length} messages`;
  // Capabilities are checked again at the call: imapflow itself falls back to plain EXPUNGE
  // (messageDelete without UIDPLUS) and to COPY + EXPUNGE (messageMove without MOVE).
  if (plan.mode === "uid-expunge" && box.has("UIDPLUS")) {
    const ok = await box.expunge(range);
    return { mode: "uid-expunge", removed: ok, count: ok ? uids.length : 0, detail: ok ? `${n} deleted (UID EXPUNGE)` : `UID EXPUNGE of ${n} failed` };
  }
  if (plan.mode === "moved-to-trash" && plan.trash && box.has("MOVE")) {
    const moved = await box.move(range, plan.trash);
    const detail = moved ? `${n} moved to ${plan.trash} (UID MOVE)` : `UID MOVE of ${n} to ${plan.trash} failed`;
    return { mode: "moved-to-trash", removed: moved, count: moved ? uids.length : 0, detail };
  }
  await box.flagsAdd(range, ["\\Seen"]).catch(() => false);
  return { mode: "left", removed: false, count: 0, detail: `${n} left in the mailbox (flagged \\Seen): ${plan.why}` };
}

/**
 * The stale sweep of the selected mailbox: candidates by SEARCH (recent, token-looking), then each
 * judged by `isOurs` (sweep claim). Without a key nothing is proven: stale look-alikes of our format
 * from our sender are only counted (left behind), never touched; with a key, those whose MAC fails
 * are counted too (probe-looking, seen, not provable). Messages not yet past their own stale time
 * (another probe's, in flight) are left alone and not counted.
 */
export async function sweepMailbox(box: Selected, plan: CleanupPlan, o: SweepOptions): Promise<SweepResult> {
  const since = new Date(Date.now() - o.sweepDays * 86_400_000);
  const header = TOKEN_HEADER.toLowerCase();
  const or = TOKEN_PREFIXES.flatMap((p) => [{ header: { [header]: p } }, { subject: p }]);
  const candidates = await box.search({ since, or });
  const none = { removed: 0, leftBehind: 0, leftIds: [], removedIds: [] };
  if (!candidates.length) return none;
  const stale: { uid: number; token: string }[] = [];
  const unproven: string[] = [];
  const claim = { kind: "sweep", key: o.key, from: o.from, probeName: o.probeName, staleAfterMs: o.staleAfterMs } as const;
  for await (const msg of box.fetch(candidates.join(","), PROOF_QUERY)) {
    const v = isOurs(evidenceOf(msg, box.name), { ...claim, nowMs: Date.now(), selected: box.selectedNow() });
    if (v.ours) stale.push({ uid: msg.uid, token: v.token });
    else if ((v.why === "no_key" || v.why === "bad_mac") && v.token) unproven.push(v.token);
  }
  const tokens = stale.map((m) => m.token);
  if (!o.key?.configured) {
    if (!unproven.length) return none;
    const detail = `${unproven.length} stale look-alikes from ${o.from} not removed: no tokenKey to prove them ours`;
    return { removed: 0, leftBehind: unproven.length, leftIds: unproven, removedIds: [], detail };
  }
  const unprovenNote = unproven.length
    ? `${unproven.length} stale message(s) from ${o.from} in the token format not removed: their MAC does not verify with tokenKey (another key, or a version before tokenKey)`
    : undefined;
  if (!stale.length) return { removed: 0, leftBehind: unproven.length, leftIds: unproven, removedIds: [], detail: unprovenNote };
  const action = await removeUids(
    box,
    plan,
    stale.map((m) => m.uid),
  );
  const detail = [action.detail, unprovenNote].filter(Boolean).join("; ");
  return action.removed
    ? { removed: stale.length, leftBehind: unproven.length, leftIds: unproven, removedIds: tokens, detail }
    : { removed: 0, leftBehind: stale.length + unproven.length, leftIds: [...tokens, ...unproven], removedIds: [], detail };
}

/** One sweep result of two mailboxes (the watched one and Junk). */
export function mergeSweeps(a: SweepResult, b: SweepResult): SweepResult {
  return {
    removed: a.removed + b.removed,
    leftBehind: a.leftBehind + b.leftBehind,
    leftIds: [...(a.leftIds ?? []), ...(b.leftIds ?? [])],
    removedIds: [...(a.removedIds ?? []), ...(b.removedIds ?? [])],
    detail: [a.detail, b.detail].filter(Boolean).join("; ") || undefined,
  };
}
