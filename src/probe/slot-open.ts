// A path's open behind the process's IMAP session cap (core/slots.ts): wait for a slot of the path's
// login at its host, open, and give the slot back when the session closes (cleanup's logout) or the
// open fails. The wait counts as part of the open (`openSeconds`); the roundtrip is still measured
// from the send, which does not wait for any slot.
import type { ResolvedPath } from "../config/load.js";
import { DeadlineError } from "../core/deadline.js";
import { ProbeError } from "../core/errors.js";
import { slotKey, type SessionSlots } from "../core/slots.js";
import type { Session } from "../receivers/session.js";

export type PathOpener = (path: ResolvedPath, signal: AbortSignal) => Promise<Session>;

/** `open` behind `slots` (unchanged without them). */
export function withSessionSlot(slots: SessionSlots | undefined, open: PathOpener): PathOpener {
  if (!slots) return open;
  return async (path, signal) => {
    const askedMs = Date.now();
    const key = slotKey(path);
    let release: () => void;
    try {
      release = await slots.acquire(key, signal);
    } catch (err) {
      // Only the run's deadline becomes the path's failure; an outside abort goes on as it is.
      if (!(signal.reason instanceof DeadlineError) || err !== signal.reason) throw err;
      const n = slots.perKey;
      throw new ProbeError(
        "imap_connect",
        `no IMAP session free for ${path.user} at ${path.host} within the deadline: waited ${((Date.now() - askedMs) / 1000).toFixed(1)} s while ${n} other session${n === 1 ? " was" : "s were"} open (imapSessionsPerUser: ${n}; other probes to the same login hold them)`,
        { stage: "connect", path: path.name, cause: err },
      );
    }
    let session: Session;
    let waitedMs: number;
    try {
      // A turn to open (core/slots.ts OPENS_AT_ONCE): the connect timeout starts when the turn does.
      const turnEnds = await slots.openTurn(signal);
      waitedMs = Date.now() - askedMs;
      // …and ends with it: a server sitting on LOGIN must not hold the turns of every other path.
      const late = path.connectTimeoutMs > 0 ? setTimeout(turnEnds, path.connectTimeoutMs) : undefined;
      try {
        session = await open(path, signal);
      } finally {
        clearTimeout(late);
        turnEnds();
      }
    } catch (err) {
      release();
      throw err;
    }
    return slotted(session, waitedMs, release, slots, key);
  };
}

/**
 * The session as opened, with the slot wait added to its open time and the slot given back on close.
 * Its IDLE-lag measurement opens a second session of the login: only in a free slot (none: not this time).
 */
function slotted(session: Session, waitedMs: number, release: () => void, slots: SessionSlots, key: string): Session {
  const close = async () => {
    try {
      await session.close();
    } finally {
      release();
    }
  };
  const idleLagMs: Session["idleLagMs"] = async (found, signal) => {
    if (slots.inUse(key) >= slots.perKey) return undefined;
    const second = await slots.acquire(key, signal);
    try {
      return await session.idleLagMs!(found, signal);
    } finally {
      second();
    }
  };
  return new Proxy(session, {
    get(target, prop) {
      if (prop === "openMs") return target.openMs + waitedMs;
      if (prop === "close") return close;
      if (prop === "idleLagMs" && target.idleLagMs) return idleLagMs;
      const v = Reflect.get(target, prop, target) as unknown;
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}
