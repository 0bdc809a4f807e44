// Doctor runs what a run runs (issue 19): on the real open session, every step a run depends on —
// the selected name equals the resolved one, where new mail starts (UIDNEXT or its fallback), the
// look-back UID SEARCH, the Junk STATUS and SEARCH, the cleanup mode and its target mailbox — so
// that a configuration that fails every run cannot pass doctor. Nothing is changed on the server.
import { randomBytes } from "node:crypto";
import { raceSignal } from "../core/deadline.js";
import { errText } from "../core/errors.js";
import type { ImapSession } from "./imap-session.js";
import { junkError, LOOK_BACK_UIDS } from "./imap-wait.js";
import type { Rehearsal } from "./session.js";

/** A token no message carries: the searches run for real and find nothing. */
const probeToken = () => `mp2.rehearsal.${randomBytes(9).toString("base64url")}`;

async function step(check: string, fn: () => Promise<Omit<Rehearsal, "check">>): Promise<Rehearsal> {
  try {
    return { check, ...(await fn()) };
  } catch (err) {
    return { check, status: "fail", detail: errText(err) };
  }
}

export async function rehearse(s: ImapSession, signal: AbortSignal): Promise<Rehearsal[]> {
  const out: Rehearsal[] = [];
  const configured = s.path.mailbox;
  out.push({
    check: "select",
    status: "ok",
    detail: configured === s.mailbox ? `${s.mailbox} selected` : `${configured} selected as ${s.mailbox} (the server's name for it)`,
  });
  out.push({
    check: "uidnext",
    status: "ok",
    detail:
      s.uidNextSource === "select"
        ? `new mail starts at uid ${s.openUidNext} (SELECT's UIDNEXT)`
        : `SELECT sent no UIDNEXT: new mail starts at uid ${s.openUidNext} (${s.uidNextSource === "status" ? "STATUS UIDNEXT" : "the highest uid + 1"})`,
  });
  const from = Math.max(1, s.openUidNext - LOOK_BACK_UIDS);
  out.push(
    await step("look back", async () => {
      await s.searchFrom(s.mailbox, from, probeToken(), signal);
      return { status: "ok", detail: `UID SEARCH UID ${from}:* HEADER X-Mailprobe-Token … in ${s.mailbox} answered` };
    }),
  );
  out.push(await junkStep(s, signal));
  out.push(await cleanupStep(s, signal));
  return out;
}

async function junkStep(s: ImapSession, signal: AbortSignal): Promise<Rehearsal> {
  const junk = s.junkMailbox;
  if (!junk) return { check: "junk mailbox", status: "ok", detail: s.junkWhy };
  const hint =
    "runs skip the Junk checks on this path (a Junk landing then shows only as not_delivered): fix junkMailbox (imap.junkMailbox or the path's, `none` turns the checks off) or create the mailbox";
  try {
    const st = await raceSignal(s.client.status(junk, { messages: true, uidNext: true }), signal);
    const from = Math.max(1, ((st && st.uidNext) || 1) - LOOK_BACK_UIDS);
    await s.searchFrom(junk, from, probeToken(), signal);
    return { check: "junk mailbox", status: "ok", detail: `${s.junkWhy}: STATUS and UID SEARCH answered (${(st && st.messages) || 0} messages)` };
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    return { check: "junk mailbox", status: "warn", detail: `${junk} cannot be read: ${junkError(err)} (${s.junkWhy})`, hint };
  }
}

async function cleanupStep(s: ImapSession, signal: AbortSignal): Promise<Rehearsal> {
  const { mode, why, trash } = s.plan;
  if (mode === "uid-expunge") return { check: "cleanup", status: "ok", detail: `uid-expunge: ${why}` };
  if (mode === "left") {
    const hint =
      "probe messages stay in the mailbox (see mailprobe_messages_left_behind): enable UIDPLUS or MOVE on the server, or give a trash mailbox (imap.trashMailbox) where MOVE exists";
    return { check: "cleanup", status: "warn", detail: `left: ${why}`, hint };
  }
  try {
    await raceSignal(s.client.status(trash!, { messages: true }), signal);
    const hint = "probe messages collect in the trash mailbox: let the server or a client empty it (mailprobe never sends a plain EXPUNGE)";
    return { check: "cleanup", status: "warn", detail: `moved-to-trash: ${why}`, hint };
  } catch (err) {
    if (signal.aborted) throw signal.reason;
    const hint = "the trash mailbox cannot be read: every delete would fail; fix imap.trashMailbox or create the mailbox";
    return { check: "cleanup", status: "fail", detail: `moved-to-trash: ${trash} cannot be read (${junkError(err)}): ${why}`, hint };
  }
}
