// One IMAP path: open (connect, login, select, remember UIDNEXT), wait for the probe's token among
// the messages that arrived after that, fetch its headers, delete it by UID, sweep stale leftovers.
// The cost never grows with the mailbox: only UIDs from UIDNEXT on are ever fetched, and the sweep
// asks the server for recent probe-looking messages only (SINCE + header).
import type { TLSSocket } from "node:tls";
import { ImapFlow, type FetchMessageObject } from "imapflow";
import type { ResolvedPath } from "../config/load.js";
import { proxyTransport, tlsOptionsOf } from "./imap-transport.js";
import { raceSignal, sleep } from "../core/deadline.js";
import { measureIdleLag } from "./idle-lag.js";
import { commandCounter, type CommandCounter } from "./imap-count.js";
import { tokenSearch, waitForToken } from "./imap-wait.js";
import { isTlsError, ProbeError } from "../core/errors.js";
import { TOKEN_HEADER, verifyToken } from "../core/token.js";
import type { FoundMessage, Session } from "./session.js";

/** Socket inactivity limit once connected (imapflow's default is 5 minutes). */
export const SOCKET_TIMEOUT_MS = 60_000;

interface ImapErrorLike {
  code?: string;
  message?: string;
  authenticationFailed?: boolean;
  responseText?: string;
}

/** Maps an imapflow/socket error to a reason of the catalogue. */
export function classifyImapError(err: unknown, phase: "connect" | "mailbox" | "wait", path?: string): ProbeError {
  if (err instanceof ProbeError) return err;
  const e = (err ?? {}) as ImapErrorLike;
  const text = [e.message, e.responseText].filter(Boolean).join(": ") || String(err);
  const opts = { stage: phase, path, cause: err, errno: e.code };
  if (e.authenticationFailed) return new ProbeError("imap_auth", `login refused: ${e.responseText ?? e.message ?? "authentication failed"}`, opts);
  if (isTlsError(err)) return new ProbeError("tls", `TLS: ${e.code ? `${e.code}: ` : ""}${text}`, opts);
  if (phase === "connect") return new ProbeError("imap_connect", `${e.code ? `${e.code}: ` : ""}${text}`, opts);
  if (phase === "mailbox") return new ProbeError("imap_mailbox", text, opts);
  return new ProbeError("imap_error", `${e.code ? `${e.code}: ` : ""}${text}`, opts);
}

function tokenOf(msg: FetchMessageObject): string | undefined {
  const raw = msg.headers?.toString("utf8") ?? "";
  const m = new RegExp(`^${TOKEN_HEADER}:\\s*(\\S+)`, "im").exec(raw);
  if (m?.[1]) return m[1];
  const s = /\bmp1\.[0-9a-z]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/.exec(msg.envelope?.subject ?? "");
  return s?.[0];
}

/** An IMAP session is the receiver contract's Session. */
export type ImapSession = Session;

/** Opens a path: connect (optionally through our own PROXY v2 header), login, select. */
export async function openImap(path: ResolvedPath, signal: AbortSignal): Promise<ImapSession> {
  const started = Date.now();
  const tls = tlsOptionsOf(path);
  const counter = commandCounter();
  const pp = path.proxyProtocol;
  const options = (logger: CommandCounter["logger"] | false) =>
    ({
      host: path.host,
      port: path.port,
      secure: path.security === "tls",
      doSTARTTLS: path.security === "starttls" ? true : undefined,
      servername: path.servername,
      tls,
      auth: { user: path.user, pass: path.password },
      logger,
      connectionTimeout: path.connectTimeoutMs,
      greetingTimeout: path.connectTimeoutMs,
      socketTimeout: SOCKET_TIMEOUT_MS,
      disableAutoIdle: true,
      ...(pp ? { transport: proxyTransport(path) } : {}),
    }) as ConstructorParameters<typeof ImapFlow>[0];
  const client = new ImapFlow(options(counter.logger));
  // imapflow reports socket trouble as 'error' events as well as rejections: keep them from crashing us.
  client.on("error", () => undefined);
  const onAbort = () => client.close();
  signal.addEventListener("abort", onAbort, { once: true });

  let phase: "connect" | "mailbox" = "connect";
  let uidNext: number;
  let openUidNext: number;
  try {
    await raceSignal(client.connect(), signal);
    phase = "mailbox";
    const box = await raceSignal(client.mailboxOpen(path.mailbox), signal);
    uidNext = box.uidNext;
    openUidNext = uidNext;
  } catch (err) {
    signal.removeEventListener("abort", onAbort);
    client.close();
    if (signal.aborted) throw signal.reason;
    throw classifyImapError(err, phase, path.name);
  }
  // The run's signal only guards the open: once open, the session must outlive the deadline or an
  // abort so that cleanup can still find and delete the probe's own message.
  signal.removeEventListener("abort", onAbort);
  const sock = (client as unknown as { socket?: TLSSocket }).socket;
  const validTo = sock?.getPeerCertificate?.()?.valid_to;
  const idleSupported = client.capabilities.has("IDLE");

  async function scan(from: number): Promise<{ token: string | undefined; uid: number }[]> {
    if (!client.mailbox || client.mailbox.exists === 0) return [];
    const out: { token: string | undefined; uid: number }[] = [];
    for await (const msg of client.fetch(`${from}:*`, { uid: true, headers: [TOKEN_HEADER.toLowerCase()], envelope: true }, { uid: true })) {
      // `N:*` with N above the highest UID still returns the last message: skip it.
      if (msg.uid >= from) out.push({ uid: msg.uid, token: tokenOf(msg) });
    }
    return out;
  }

  async function headersOf(uid: number): Promise<Buffer> {
    const msg = await client.fetchOne(String(uid), { uid: true, headers: true }, { uid: true });
    return (msg && msg.headers) || Buffer.alloc(0);
  }

  async function searchFrom(mailbox: string, fromUid: number, token: string): Promise<FoundMessage | undefined> {
    const other = mailbox !== path.mailbox;
    const lock = other ? await client.getMailboxLock(mailbox) : undefined;
    try {
      const uids = (await client.search(tokenSearch(fromUid, token), { uid: true })) || [];
      for (const uid of uids.reverse()) {
        // The same proof as a new message: the token header itself, not the search's substring match.
        const headers = await headersOf(uid);
        if (tokenOf({ uid, headers } as FetchMessageObject) === token) return { uid, seenAtMs: Date.now(), headers, mailbox };
      }
      return undefined;
    } finally {
      if (lock) {
        lock.release();
        // Back to the watched mailbox (deletes by UID, new-mail polls).
        await client.mailboxOpen(path.mailbox).catch(() => undefined);
      }
    }
  }

  async function findNew(token: string): Promise<FoundMessage | undefined> {
    const list = await scan(uidNext);
    for (const m of list) uidNext = Math.max(uidNext, m.uid + 1);
    const hit = list.find((m) => m.token === token);
    if (!hit) return undefined;
    const seenAtMs = Date.now();
    return { uid: hit.uid, seenAtMs, headers: await headersOf(hit.uid), mailbox: path.mailbox };
  }

  const session: ImapSession = {
    path,
    openMs: Date.now() - started,
    idleSupported,
    tlsCertNotAfter: validTo ? new Date(validTo) : undefined,

    async waitFor(token, waitSignal, fastUntilMs) {
      try {
        return await waitForToken({ client, path, idleSupported, openUidNext, findNew, searchFrom }, token, waitSignal, fastUntilMs);
      } catch (err) {
        if (waitSignal.aborted) throw waitSignal.reason;
        throw classifyImapError(err, "wait", path.name);
      }
    },

    commands: () => counter.counts(),

    async idleLagMs(found, s) {
      if (!idleSupported || found.mailbox !== path.mailbox) return undefined;
      const watcher = async () => {
        const b = new ImapFlow(options(false));
        b.on("error", () => undefined);
        await b.connect();
        return b;
      };
      return measureIdleLag(client, watcher, path.mailbox, found.uid, s).catch(() => undefined);
    },

    async findNow(token, s) {
      try {
        // The client's view of the mailbox is as fresh as its last command: ask the server first.
        await raceSignal(client.noop(), s);
        return await raceSignal(findNew(token), s);
      } catch (err) {
        if (s.aborted) throw s.reason;
        throw classifyImapError(err, "wait", path.name);
      }
    },

    async findIn(mailbox, token, s) {
      const lock = await raceSignal(client.getMailboxLock(mailbox), s);
      try {
        const since = new Date(Date.now() - 86_400_000);
        const uids = (await raceSignal(client.search({ since, header: { [TOKEN_HEADER.toLowerCase()]: token } }, { uid: true }), s)) || [];
        const uid = uids[uids.length - 1];
        if (uid === undefined) return undefined;
        return { uid, seenAtMs: Date.now(), headers: await headersOf(uid), mailbox };
      } finally {
        lock.release();
        // Back to the watched mailbox for deletes by UID there.
        await client.mailboxOpen(path.mailbox).catch(() => undefined);
      }
    },

    async delete(found, s) {
      if (found.mailbox !== path.mailbox) {
        const lock = await raceSignal(client.getMailboxLock(found.mailbox), s);
        try {
          return await raceSignal(client.messageDelete(String(found.uid), { uid: true }), s);
        } finally {
          lock.release();
          await client.mailboxOpen(path.mailbox).catch(() => undefined);
        }
      }
      return raceSignal(client.messageDelete(String(found.uid), { uid: true }), s);
    },

    async sweep({ key, from, staleAfterMs, sweepDays }, s) {
      const since = new Date(Date.now() - sweepDays * 86_400_000);
      const candidates =
        (await raceSignal(client.search({ since, or: [{ header: { [TOKEN_HEADER.toLowerCase()]: "mp1." } }, { subject: "mp1." }] }, { uid: true }), s)) || [];
      if (!candidates.length) return 0;
      const now = Date.now();
      const victims: number[] = [];
      for await (const msg of client.fetch(
        candidates.join(","),
        { uid: true, headers: [TOKEN_HEADER.toLowerCase()], envelope: true, internalDate: true },
        { uid: true },
      )) {
        const token = tokenOf(msg);
        const parsed = token ? verifyToken(key, token) : undefined;
        const sender = msg.envelope?.from?.[0]?.address?.toLowerCase();
        const stored = msg.internalDate ? new Date(msg.internalDate).getTime() : now;
        if (parsed && sender === from.toLowerCase() && now - parsed.createdMs > staleAfterMs && now - stored > staleAfterMs) victims.push(msg.uid);
      }
      if (!victims.length) return 0;
      await raceSignal(client.messageDelete(victims.join(","), { uid: true }), s);
      return victims.length;
    },

    async close() {
      // Logout politely, for at most a second; the timer must not outlive it (it would hold the process).
      const limit = new AbortController();
      try {
        await Promise.race([client.logout(), sleep(1000, limit.signal)]);
      } catch {
        /* the connection may already be gone */
      } finally {
        limit.abort();
      }
      client.close();
    },
  };
  return session;
}
