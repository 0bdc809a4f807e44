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
import { junkError, tokenSearch, waitForToken } from "./imap-wait.js";
import { isTlsError, ProbeError } from "../core/errors.js";
import { TOKEN_HEADER } from "../core/token.js";
import type { CleanupAction, FoundMessage, Session } from "./session.js";
import { planCleanup, proofOf, removeUids, sweepMailbox, tokenOf, type CleanupPlan } from "./imap-cleanup.js";

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
  let plan: CleanupPlan;
  try {
    plan = await raceSignal(planCleanup(client, path.trashMailbox, path.mailbox), signal);
  } catch (err) {
    client.close();
    if (signal.aborted) throw signal.reason;
    throw classifyImapError(err, "mailbox", path.name);
  }

  // The wait's command in flight. An abandoned wait (deadline, abort) leaves it running on this
  // session; whatever runs next (the last look, a delete) waits for it first, so that no command of
  // another mailbox interleaves with its own. Past its own budget it closes the session instead.
  let inflight: Promise<unknown> = Promise.resolve();
  /** What the session had to give up (a junk mailbox it cannot read), said in the path's result. */
  const notes: string[] = [];
  let junkOff = false;
  const junkFailed = (detail: string) => {
    junkOff = true;
    notes.push(detail);
  };
  const track = <T>(p: Promise<T>): Promise<T> => {
    const before = inflight;
    inflight = Promise.all([before, p.catch(() => undefined)]);
    return p;
  };
  async function settled(s: AbortSignal): Promise<void> {
    try {
      await raceSignal(inflight, s);
    } catch (err) {
      client.close();
      throw err;
    }
  }
  /** The selected mailbox, checked before any UID command: a UID means nothing in another mailbox. */
  function expectSelected(mailbox: string): void {
    const at = client.mailbox ? client.mailbox.path : undefined;
    if (at !== mailbox) throw new Error(`${at ?? "no mailbox"} is selected where ${mailbox} was expected: no UID command sent`);
  }

  type Scanned = { token: string | undefined; uid: number; msg: FetchMessageObject };
  async function scan(from: number): Promise<Scanned[]> {
    expectSelected(path.mailbox);
    if (!client.mailbox || client.mailbox.exists === 0) return [];
    const out: Scanned[] = [];
    for await (const msg of client.fetch(`${from}:*`, { uid: true, headers: [TOKEN_HEADER.toLowerCase()], envelope: true }, { uid: true })) {
      // `N:*` with N above the highest UID still returns the last message: skip it.
      if (msg.uid >= from) out.push({ uid: msg.uid, token: tokenOf(msg), msg });
    }
    return out;
  }

  async function headersOf(uid: number): Promise<Buffer> {
    const msg = await client.fetchOne(String(uid), { uid: true, headers: true }, { uid: true });
    return (msg && msg.headers) || Buffer.alloc(0);
  }

  async function searchFrom(mailbox: string, fromUid: number, token: string): Promise<FoundMessage | undefined> {
    const other = mailbox !== path.mailbox;
    let lock: Awaited<ReturnType<ImapFlow["getMailboxLock"]>> | undefined;
    try {
      if (other) lock = await client.getMailboxLock(mailbox);
      expectSelected(mailbox);
      const uids = (await client.search(tokenSearch(fromUid, token), { uid: true })) || [];
      for (const uid of uids.reverse()) {
        // The same proof as a new message: the token header itself (not the search's substring match)
        // and the sender, kept with the message for cleanup's check before it removes anything.
        const msg = await client.fetchOne(String(uid), { uid: true, headers: true, envelope: true }, { uid: true });
        if (msg && proofOf(msg).tokenHeader === token) return { uid, seenAtMs: Date.now(), headers: msg.headers ?? Buffer.alloc(0), mailbox, ...proofOf(msg) };
      }
      return undefined;
    } finally {
      if (other) {
        lock?.release();
        // Back to the watched mailbox (deletes by UID, new-mail polls), also after a failed SELECT.
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
    return { uid: hit.uid, seenAtMs, headers: await headersOf(hit.uid), mailbox: path.mailbox, ...proofOf(hit.msg) };
  }

  const session: ImapSession = {
    path,
    openMs: Date.now() - started,
    idleSupported,
    tlsCertNotAfter: validTo ? new Date(validTo) : undefined,
    cleanupMode: plan.mode,
    cleanupWhy: plan.why,

    async waitFor(token, waitSignal, fastUntilMs) {
      try {
        return await waitForToken({ client, path, idleSupported, openUidNext, findNew, searchFrom, track, junkFailed }, token, waitSignal, fastUntilMs);
      } catch (err) {
        if (waitSignal.aborted) throw waitSignal.reason;
        throw classifyImapError(err, "wait", path.name);
      }
    },

    commands: () => counter.counts(),

    notes: () => [...notes],

    usable: () => client.usable,

    async checkMailbox(mailbox, s) {
      try {
        const st = await raceSignal(client.status(mailbox, { messages: true }), s);
        return { ok: true, detail: `${mailbox} readable (${(st && st.messages) || 0} messages)` };
      } catch (err) {
        if (s.aborted) throw s.reason;
        return { ok: false, detail: `${mailbox} cannot be read: ${junkError(err)}` };
      }
    },

    async idleLagMs(found, s) {
      if (!idleSupported || found.mailbox !== path.mailbox) return undefined;
      await settled(s);
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
        await settled(s);
        const lock = await raceSignal(client.getMailboxLock(path.mailbox), s);
        try {
          // The client's view of the mailbox is as fresh as its last command: ask the server first.
          await raceSignal(client.noop(), s);
          return await raceSignal(findNew(token), s);
        } finally {
          lock.release();
        }
      } catch (err) {
        if (s.aborted) throw s.reason;
        throw classifyImapError(err, "wait", path.name);
      }
    },

    async findIn(mailbox, token, s) {
      if (junkOff && mailbox === path.junkMailbox) return undefined;
      await settled(s);
      const lock = await raceSignal(client.getMailboxLock(mailbox), s);
      try {
        // SEARCH HEADER is a substring match: the candidates' headers are read and matched exactly.
        const since = new Date(Date.now() - 86_400_000);
        expectSelected(mailbox);
        const uids = (await raceSignal(client.search({ since, header: { [TOKEN_HEADER.toLowerCase()]: token } }, { uid: true }), s)) || [];
        if (!uids.length) return undefined;
        let hit: FetchMessageObject | undefined;
        for await (const msg of client.fetch(uids.join(","), { uid: true, headers: [TOKEN_HEADER.toLowerCase()], envelope: true }, { uid: true })) {
          if (proofOf(msg).tokenHeader === token) hit = msg;
        }
        if (!hit) return undefined;
        return { uid: hit.uid, seenAtMs: Date.now(), headers: await headersOf(hit.uid), mailbox, ...proofOf(hit) };
      } finally {
        lock.release();
        // Back to the watched mailbox for deletes by UID there.
        await client.mailboxOpen(path.mailbox).catch(() => undefined);
      }
    },

    async delete(found, s) {
      const remove = async (): Promise<CleanupAction> => {
        // Another path to the same mailbox (another listener of the same server) may have removed it already.
        // NOOP first: it brings this session's view up to date (EXPUNGEs by other sessions).
        await client.noop();
        expectSelected(found.mailbox);
        const still = (await client.search({ uid: String(found.uid) }, { uid: true })) || [];
        if (!still.length)
          return { mode: plan.mode, removed: true, count: 0, detail: `uid ${found.uid} already removed (through another path to this mailbox)` };
        // Re-read right before removing: the message at this UID in this mailbox must still carry the proof.
        const now = await client.fetchOne(String(found.uid), { uid: true, headers: [TOKEN_HEADER.toLowerCase()], envelope: true }, { uid: true });
        const p = now ? proofOf(now) : undefined;
        if (!p || p.tokenHeader !== found.tokenHeader || p.subjectToken !== found.subjectToken || p.from !== found.from) {
          return {
            mode: plan.mode,
            removed: false,
            count: 0,
            detail: `uid ${found.uid} in ${found.mailbox} no longer carries this run's token and sender: not removed`,
          };
        }
        expectSelected(found.mailbox);
        return removeUids(client, plan, [found.uid]);
      };
      await settled(s);
      const lock = await raceSignal(client.getMailboxLock(found.mailbox), s);
      try {
        return await raceSignal(remove(), s);
      } finally {
        lock.release();
        if (found.mailbox !== path.mailbox) await client.mailboxOpen(path.mailbox).catch(() => undefined);
      }
    },

    async sweep(opts, s) {
      await settled(s);
      const lock = await raceSignal(client.getMailboxLock(path.mailbox), s);
      try {
        expectSelected(path.mailbox);
        return await raceSignal(sweepMailbox(client, plan, opts), s);
      } finally {
        lock.release();
      }
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
