// How an IMAP session removes a probe message without touching anyone else's mail. Plain EXPUNGE
// removes every message flagged \Deleted in the folder (a mail client's pending deletes too), so it
// is never sent: with UIDPLUS (RFC 4315) `UID EXPUNGE <uid>` removes exactly ours; without it, with
// MOVE (RFC 6851), `UID MOVE <uid>` into the SPECIAL-USE \Trash mailbox (RFC 6154) or the configured
// `trashMailbox`; else the message is left, flagged \Seen only (never \Deleted: a later EXPUNGE by a
// mail client would then remove it on our behalf, at a time when nobody proves anything).
import type { FetchMessageObject, ImapFlow } from "imapflow";
import { TOKEN_HEADER, verifyToken } from "../core/token.js";
import type { CleanupAction, CleanupMode, FoundMessage, SweepOptions, SweepResult } from "./session.js";

/** The proof fields of a fetched message (headers: [x-mailprobe-token], envelope). */
export function proofOf(msg: FetchMessageObject): Pick<FoundMessage, "tokenHeader" | "subjectToken" | "from"> {
  // Unfolded first: senders fold a long header onto the next line ("X-Mailprobe-Token:\r\n mp1.…").
  const raw = (msg.headers?.toString("utf8") ?? "").replace(/\r?\n[ \t]+/g, " ");
  // The header's whole value: a header that is present but is not our token alone proves nothing,
  // and the subject never stands in for it (only a header dropped by a relay lets the subject count).
  const h = new RegExp(`^${TOKEN_HEADER}:[ \\t]*(.*?)[ \\t\\r]*$`, "im").exec(raw);
  const s = /(?:^|\s)(mp1\.[0-9a-z]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)(?:\s|$)/.exec(msg.envelope?.subject ?? "");
  return { tokenHeader: h?.[1], subjectToken: s?.[1], from: msg.envelope?.from?.[0]?.address?.toLowerCase() };
}

/** The token a message carries (the header first: relays may drop X- headers, hence the subject). */
export function tokenOf(msg: FetchMessageObject): string | undefined {
  const p = proofOf(msg);
  return p.tokenHeader ?? p.subjectToken;
}

export interface CleanupPlan {
  mode: CleanupMode;
  /** Where `moved-to-trash` moves to. */
  trash?: string;
  /** Why this mode (for the result, doctor and logs). */
  why: string;
}

/** Reads the capabilities (and, only without UIDPLUS but with MOVE, the mailbox list) once at open. */
export async function planCleanup(client: ImapFlow, configuredTrash: string | undefined, watched: string): Promise<CleanupPlan> {
  const caps = client.capabilities;
  if (caps.has("UIDPLUS")) return { mode: "uid-expunge", why: "the server announces UIDPLUS: UID EXPUNGE removes exactly the probe message" };
  if (!caps.has("MOVE")) {
    return { mode: "left", why: "the server announces neither UIDPLUS nor MOVE: probe messages are left (flagged \\Seen), never expunged" };
  }
  const boxes = await client.list().catch(() => []);
  const special = boxes.find((b) => b.specialUse === "\\Trash")?.path;
  const trash = special ?? configuredTrash;
  if (!trash || trash === watched) {
    return {
      mode: "left",
      why: "the server announces no UIDPLUS and has no \\Trash mailbox (SPECIAL-USE) nor imap.trashMailbox: probe messages are left (flagged \\Seen), never expunged",
    };
  }
  const from = special ? "SPECIAL-USE \\Trash" : "imap.trashMailbox";
  return { mode: "moved-to-trash", trash, why: `the server announces no UIDPLUS: probe messages are moved (UID MOVE) to ${trash} (${from}), never expunged` };
}

/** Removes the given UIDs (already proven ours) from the selected mailbox as the plan allows. */
export async function removeUids(client: ImapFlow, plan: CleanupPlan, uids: number[]): Promise<CleanupAction> {
  const range = uids.join(",");
  const n = uids.length === 1 ? `uid ${range}` : `${uids.length} messages`;
  // Capabilities are checked again at the call: imapflow itself falls back to plain EXPUNGE
  // (messageDelete without UIDPLUS) and to COPY + EXPUNGE (messageMove without MOVE).
  if (plan.mode === "uid-expunge" && client.capabilities.has("UIDPLUS")) {
    const ok = await client.messageDelete(range, { uid: true });
    return { mode: "uid-expunge", removed: ok, count: ok ? uids.length : 0, detail: ok ? `${n} deleted (UID EXPUNGE)` : `UID EXPUNGE of ${n} failed` };
  }
  if (plan.mode === "moved-to-trash" && plan.trash && client.capabilities.has("MOVE")) {
    const moved = await client.messageMove(range, plan.trash, { uid: true });
    return {
      mode: "moved-to-trash",
      removed: !!moved,
      count: moved ? uids.length : 0,
      detail: moved ? `${n} moved to ${plan.trash} (UID MOVE)` : `UID MOVE of ${n} to ${plan.trash} failed`,
    };
  }
  await client.messageFlagsAdd(range, ["\\Seen"], { uid: true }).catch(() => false);
  return { mode: "left", removed: false, count: 0, detail: `${n} left in the mailbox (flagged \\Seen): ${plan.why}` };
}

const TOKEN_FORMAT = /^mp1\.[0-9a-z]{8,10}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{22}$/;

/**
 * The stale sweep of the selected mailbox: candidates by SEARCH (recent, token-looking), then each
 * proven ours (the token's MAC verifies with the configured key, the From is our sender) and older
 * than `staleAfterMs` both by its token and by its INTERNALDATE. Without a key nothing is proven:
 * look-alikes of our format from our sender are only counted (left behind), never touched. With a
 * key, stale messages of our format from our sender whose MAC fails (made under another key, or by a
 * version before tokenKey) are counted as left behind too: probe-looking, seen, not provable.
 */
export async function sweepMailbox(client: ImapFlow, plan: CleanupPlan, o: SweepOptions): Promise<SweepResult> {
  const since = new Date(Date.now() - o.sweepDays * 86_400_000);
  const header = TOKEN_HEADER.toLowerCase();
  const candidates = (await client.search({ since, or: [{ header: { [header]: "mp1." } }, { subject: "mp1." }] }, { uid: true })) || [];
  if (!candidates.length) return { removed: 0, leftBehind: 0, leftIds: [], removedIds: [] };
  const now = Date.now();
  const from = o.from.toLowerCase();
  const stale: { uid: number; token: string }[] = [];
  const unproven: string[] = [];
  for await (const msg of client.fetch(candidates.join(","), { uid: true, headers: [header], envelope: true, internalDate: true }, { uid: true })) {
    const token = tokenOf(msg);
    const stored = msg.internalDate ? new Date(msg.internalDate).getTime() : now;
    if (!token || proofOf(msg).from !== from || now - stored <= o.staleAfterMs) continue;
    if (!o.key?.configured) {
      if (TOKEN_FORMAT.test(token)) stale.push({ uid: msg.uid, token });
      continue;
    }
    const parsed = verifyToken(o.key, token);
    if (parsed && now - parsed.createdMs > o.staleAfterMs) stale.push({ uid: msg.uid, token });
    else if (!parsed && TOKEN_FORMAT.test(token)) unproven.push(token);
  }
  const tokens = stale.map((m) => m.token);
  if (!o.key?.configured) {
    if (!stale.length) return { removed: 0, leftBehind: 0, leftIds: [], removedIds: [] };
    const detail = `${stale.length} stale look-alikes from ${o.from} not removed: no tokenKey to prove them ours`;
    return { removed: 0, leftBehind: stale.length, leftIds: tokens, removedIds: [], detail };
  }
  const unprovenNote = unproven.length
    ? `${unproven.length} stale message(s) from ${o.from} in the token format not removed: their MAC does not verify with tokenKey (another key, or a version before tokenKey)`
    : undefined;
  if (!stale.length) return { removed: 0, leftBehind: unproven.length, leftIds: unproven, removedIds: [], detail: unprovenNote };
  const action = await removeUids(
    client,
    plan,
    stale.map((m) => m.uid),
  );
  const detail = [action.detail, unprovenNote].filter(Boolean).join("; ");
  return action.removed
    ? { removed: stale.length, leftBehind: unproven.length, leftIds: unproven, removedIds: tokens, detail }
    : { removed: 0, leftBehind: stale.length + unproven.length, leftIds: [...tokens, ...unproven], removedIds: [], detail };
}
