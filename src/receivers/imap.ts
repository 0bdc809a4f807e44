// The IMAP opener: connect (optionally through our own PROXY v2 header), login, read the
// capabilities, resolve the mailbox names the way imapflow will send them, SELECT the watched
// mailbox and check the server selected exactly that, learn where new mail starts (UIDNEXT, or a
// fallback when SELECT sends none), choose the junk mailbox and the cleanup plan. The open session is
// ./imap-session.ts. The cost never grows with the mailbox: only UIDs from UIDNEXT on are ever fetched.
import { ImapFlow } from "imapflow";
import type { ResolvedPath } from "../config/load.js";
import { proxyTransport, tlsOptionsOf } from "./imap-transport.js";
import { raceSignal } from "../core/deadline.js";
import { nodeCrypto } from "../core/node-crypto.js";
import { commandCounter, type CommandCounter } from "./imap-count.js";
import { isTlsError, ProbeError } from "../core/errors.js";
import { WITHHELD } from "../core/peer-text.js";
import { planCleanup } from "./imap-cleanup.js";
import { chooseJunk, resolveName, type Listed } from "./imap-names.js";
import { ImapSession, type UidNextSource } from "./imap-session.js";

/** Socket inactivity limit once connected (imapflow's default is 5 minutes). */
export const SOCKET_TIMEOUT_MS = 60_000;

/**
 * What one IMAP answer may weigh (imapflow's defaults are 1 GB a literal, 1 GB a line, 2 GB an
 * answer: read into memory until the deadline, far past the chart's 256 MiB). mailprobe fetches
 * header blocks, envelopes and flags, and reads SEARCH and LIST answers: a literal above Postfix's
 * default message_size_limit (10 MB) cannot be a header block or an envelope field.
 */
export const IMAP_CAPS = { maxLiteralSize: 12 * 1024 * 1024, maxLineLength: 12 * 1024 * 1024, maxResponseSize: 32 * 1024 * 1024 } as const;

interface ImapErrorLike {
  code?: string;
  message?: string;
  authenticationFailed?: boolean;
  responseText?: string;
  serverResponseCode?: string;
}

/** What a server's refusal for too many connections ([LIMIT], "Maximum number of connections") means here. */
export const TOO_MANY_SESSIONS =
  "the server allows no more sessions for this login from this address (Dovecot: mail_max_userip_connections, 10 by default): set imapSessionsPerUser below that limit (other clients of this login count too) or raise the server's limit";

/** Maps an imapflow/socket error to a reason of the catalogue. */
export function classifyImapError(err: unknown, phase: "connect" | "mailbox" | "wait", path?: string): ProbeError {
  if (err instanceof ProbeError) return err;
  const e = (err ?? {}) as ImapErrorLike;
  const text = [e.message, e.responseText].filter(Boolean).join(": ") || String(err);
  const opts = { stage: phase, path, cause: err, errno: e.code };
  // The answer to LOGIN/AUTHENTICATE (it carried the password): only its response code is shown (peer-text.ts).
  if (e.authenticationFailed) {
    const rc =
      typeof e.serverResponseCode === "string" && /^[A-Z][A-Z0-9-]{0,39}$/i.test(e.serverResponseCode) ? ` [${e.serverResponseCode.toUpperCase()}]` : "";
    return new ProbeError("imap_auth", `login refused${rc}: ${WITHHELD}${rc === " [LIMIT]" ? `; ${TOO_MANY_SESSIONS}` : ""}`, opts);
  }
  if (/maximum number of connections/i.test(text))
    return new ProbeError(phase === "connect" ? "imap_auth" : "imap_error", `${text}; ${TOO_MANY_SESSIONS}`, opts);
  if (isTlsError(err)) return new ProbeError("tls", `TLS: ${e.code ? `${e.code}: ` : ""}${text}`, opts);
  if (phase === "connect") return new ProbeError("imap_connect", `${e.code ? `${e.code}: ` : ""}${text}`, opts);
  if (phase === "mailbox") return new ProbeError("imap_mailbox", text, opts);
  return new ProbeError("imap_error", `${e.code ? `${e.code}: ` : ""}${text}`, opts);
}

function clientOptions(path: ResolvedPath, logger: CommandCounter["logger"] | false): ConstructorParameters<typeof ImapFlow>[0] {
  const pp = path.proxyProtocol;
  return {
    host: path.host,
    port: path.port,
    secure: path.security === "tls",
    doSTARTTLS: path.security === "starttls" ? true : undefined,
    servername: path.servername,
    tls: tlsOptionsOf(path),
    auth: { user: path.user, pass: path.password },
    logger,
    connectionTimeout: path.connectTimeoutMs,
    greetingTimeout: path.connectTimeoutMs,
    socketTimeout: SOCKET_TIMEOUT_MS,
    ...IMAP_CAPS,
    disableAutoIdle: true,
    // A probe moves a few kilobytes: COMPRESS=DEFLATE (Dovecot offers it) would cost both ends CPU
    // per byte and the client node:zlib (~3 ms to load) for nothing.
    disableCompression: true,
    // imapflow's own id comes from globalThis.crypto (loading WebCrypto, ~3 ms of each run).
    id: nodeCrypto().randomBytes(9).toString("base64url"),
    ...(pp ? { transport: proxyTransport(path) } : {}),
  } as ConstructorParameters<typeof ImapFlow>[0];
}

/**
 * Where new mail starts. RFC 3501 requires SELECT to send UIDNEXT; Courier does not. Then STATUS
 * (UIDNEXT) of the selected mailbox, else the highest UID plus one (one `FETCH * (UID)`).
 */
export async function uidNextOf(client: ImapFlow, mailbox: string): Promise<{ uidNext: number; source: UidNextSource }> {
  const fromSelect = client.mailbox ? client.mailbox.uidNext : undefined;
  if (Number.isSafeInteger(fromSelect) && fromSelect! > 0) return { uidNext: fromSelect!, source: "select" };
  const st = await client.status(mailbox, { uidNext: true }).catch(() => undefined);
  if (st && Number.isSafeInteger(st.uidNext) && st.uidNext! > 0) return { uidNext: st.uidNext!, source: "status" };
  const exists = client.mailbox ? client.mailbox.exists : 0;
  const last = exists > 0 ? await client.fetchOne("*", { uid: true }) : undefined;
  return { uidNext: last ? last.uid + 1 : 1, source: "highest uid + 1" };
}

/** Connects and logs in; the run's signal closes the client while this is pending. */
async function connected(path: ResolvedPath, counter: CommandCounter, signal: AbortSignal): Promise<ImapFlow> {
  const client = new ImapFlow(clientOptions(path, counter.logger));
  // imapflow reports socket trouble as 'error' events as well as rejections: keep them from crashing us.
  client.on("error", () => undefined);
  const onAbort = () => client.close();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    await raceSignal(client.connect(), signal);
    return client;
  } catch (err) {
    client.close();
    if (signal.aborted) throw signal.reason;
    throw classifyImapError(err, "connect", path.name);
  } finally {
    // The run's signal only guards the open: once open, the session must outlive the deadline or an
    // abort so that cleanup can still find and delete the probe's own message.
    signal.removeEventListener("abort", onAbort);
  }
}

/** Opens a path: connect, login, SELECT (checked), UIDNEXT, junk mailbox and cleanup plan. */
export async function openImap(path: ResolvedPath, signal: AbortSignal): Promise<ImapSession> {
  const started = Date.now();
  const counter = commandCounter();
  const client = await connected(path, counter, signal);
  try {
    const ns = client.namespace ?? undefined;
    const mailbox = resolveName(ns, path.mailbox);
    await raceSignal(client.mailboxOpen(mailbox), signal);
    const selected = client.mailbox ? client.mailbox.path : undefined;
    if (selected !== mailbox) throw new Error(`SELECT ${mailbox} left ${selected ?? "no mailbox"} selected`);
    const { uidNext, source } = await raceSignal(uidNextOf(client, mailbox), signal);
    const caps = client.capabilities;
    const needList = path.junkMailbox === undefined || (!caps.has("UIDPLUS") && caps.has("MOVE"));
    const list: Listed[] = needList ? await raceSignal(client.list(), signal).catch(() => []) : [];
    const junk = chooseJunk(ns, path.junkMailbox, needList ? list : undefined);
    const notes: string[] = [];
    if (source !== "select")
      notes.push(`the server's SELECT sent no UIDNEXT: new mail starts at uid ${uidNext} (${source === "status" ? "STATUS UIDNEXT" : "the highest uid + 1"})`);
    if (path.junkMailbox === undefined && junk.name) notes.push(junk.why);
    return new ImapSession({
      client,
      path,
      counter,
      // Under the caller's signal like the first: a server that never answers its LOGIN must not keep it open.
      second: (s) => connected(path, commandCounter(), s),
      openMs: Date.now() - started,
      mailbox,
      junkMailbox: junk.name,
      junkWhy: junk.why,
      uidNext,
      uidNextSource: source,
      plan: planCleanup(caps, ns, path.trashMailbox, mailbox, list),
      notes,
      classify: (err, phase) => classifyImapError(err, phase, path.name),
    });
  } catch (err) {
    client.close();
    if (signal.aborted) throw signal.reason;
    throw classifyImapError(err, "mailbox", path.name);
  }
}
