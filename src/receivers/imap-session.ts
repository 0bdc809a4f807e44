// One open IMAP path, its state in fields (resolved names, where new mail starts and how that was learnt, the
// cleanup plan, what it gave up, what is in flight). Every UID command runs in `step`; the opener is ./imap.ts.
import type { TLSSocket } from "node:tls";
import type { ImapFlow } from "imapflow";
import type { ResolvedPath } from "../config/load.js";
import { raceSignal, sleep } from "../core/deadline.js";
import { ProbeError } from "../core/errors.js";
import { measureIdleLag } from "./idle-lag.js";
import { withMailbox, type Selected } from "./imap-box.js";
import { carries, evidenceOf, mergeSweeps, PROOF_QUERY, removeUids, sweepMailbox, type CleanupPlan } from "./imap-cleanup.js";
import type { CommandCounter } from "./imap-count.js";
import { junkError, tokenSearch, waitForToken } from "./imap-wait.js";
import { isOurs } from "./ownership.js";
import { rehearse } from "./imap-rehearse.js";
import type { CleanupAction, FoundMessage, OwnMessage, Session, SweepOptions, SweepResult } from "./session.js";

/** How the session learnt where new mail starts: SELECT's UIDNEXT, or a fallback when SELECT sent none (Courier). */
export type UidNextSource = "select" | "status" | "highest uid + 1";

export interface ImapSessionInit {
  client: ImapFlow;
  path: ResolvedPath;
  counter: CommandCounter;
  /** Opens a second client like this one (the IDLE-lag watcher). */
  second: (signal: AbortSignal) => Promise<ImapFlow>;
  openMs: number;
  mailbox: string;
  junkMailbox?: string;
  /** Why that junk mailbox (or none): in notes and doctor. */
  junkWhy: string;
  uidNext: number;
  uidNextSource: UidNextSource;
  plan: CleanupPlan;
  notes: string[];
  classify: Classify;
}

export class ImapSession implements Session {
  readonly path: ResolvedPath;
  readonly client: ImapFlow;
  readonly openMs: number;
  readonly idleSupported: boolean;
  readonly tlsCertNotAfter?: Date;
  readonly plan: CleanupPlan;
  readonly cleanupMode: CleanupPlan["mode"];
  readonly cleanupWhy: string;
  readonly mailbox: string;
  readonly junkWhy: string;
  /** Cleared when Junk cannot be read (the wait goes on without it). */
  junkMailbox?: string;
  /** The first UID that arrived after the open, and how it was learnt. */
  readonly openUidNext: number;
  readonly uidNextSource: UidNextSource;
  /** The scan cursor: UIDs below it have been looked at. */
  uidNext: number;
  /** What the session had to give up or fall back on, said in the path's result. */
  readonly gaveUp: string[];
  /** What is in flight: an abandoned wait leaves it running; the next step waits for it, past its budget closes the session. */
  inflight: Promise<unknown> = Promise.resolve();
  private readonly init: ImapSessionInit;

  constructor(i: ImapSessionInit) {
    this.init = i;
    this.client = i.client;
    this.path = i.path;
    this.openMs = i.openMs;
    this.idleSupported = i.client.capabilities.has("IDLE");
    const validTo = (i.client as unknown as { socket?: TLSSocket }).socket?.getPeerCertificate?.()?.valid_to;
    this.tlsCertNotAfter = validTo ? new Date(validTo) : undefined;
    this.plan = i.plan;
    this.cleanupMode = i.plan.mode;
    this.cleanupWhy = i.plan.why;
    this.mailbox = i.mailbox;
    this.junkMailbox = i.junkMailbox;
    this.junkWhy = i.junkWhy;
    this.openUidNext = this.uidNext = i.uidNext;
    this.uidNextSource = i.uidNextSource;
    this.gaveUp = [...i.notes];
  }

  track<T>(p: Promise<T>): Promise<T> {
    this.inflight = Promise.all([this.inflight, p.catch(() => undefined)]);
    return p;
  }

  /** The only door to UID commands: `fn` runs with `name` selected and checked (imap-box.ts). */
  step<T>(name: string, signal: AbortSignal, fn: (box: Selected) => Promise<T>): Promise<T> {
    const { result, settled } = withMailbox(this.client, name, this.mailbox, signal, fn);
    this.track(settled);
    return result;
  }

  private async settled(s: AbortSignal): Promise<void> {
    try {
      await raceSignal(this.inflight, s);
    } catch (err) {
      this.client.close();
      throw err;
    }
  }

  /** The message carrying `token` among `uids` (newest first), with its full header block. */
  private async pick(box: Selected, uids: number[], token: string): Promise<FoundMessage | undefined> {
    for (const uid of [...uids].reverse()) {
      const msg = await box.fetchOne(uid, { headers: true, envelope: true });
      const e = msg && evidenceOf(msg, box.name);
      if (e && e.tokenHeader === token) return { uid, seenAtMs: Date.now(), headers: msg.headers ?? Buffer.alloc(0), ...e };
    }
    return undefined;
  }

  /** Fetches only UIDs not scanned yet; the token's message if among them. */
  findNew(token: string, signal: AbortSignal): Promise<FoundMessage | undefined> {
    return this.step(this.mailbox, signal, async (box) => {
      if (box.exists === 0) return undefined;
      const from = this.uidNext;
      let hit: number | undefined;
      for await (const msg of box.fetch(`${from}:*`, PROOF_QUERY)) {
        // `N:*` with N above the highest UID still returns the last message: skip it.
        if (msg.uid < from) continue;
        this.uidNext = Math.max(this.uidNext, msg.uid + 1);
        if (carries(evidenceOf(msg, box.name), token)) hit = msg.uid;
      }
      if (hit === undefined) return undefined;
      const msg = await box.fetchOne(hit, { headers: true, envelope: true });
      return msg ? { uid: hit, seenAtMs: Date.now(), headers: msg.headers ?? Buffer.alloc(0), ...evidenceOf(msg, box.name) } : undefined;
    });
  }

  /** One `UID SEARCH UID from:* HEADER X-Mailprobe-Token token` in `mailbox` (the look back, Junk). */
  searchFrom(mailbox: string, fromUid: number, token: string, signal: AbortSignal): Promise<FoundMessage | undefined> {
    return this.step(mailbox, signal, async (box) => this.pick(box, await box.search(tokenSearch(fromUid, token)), token));
  }

  async waitFor(token: string, signal: AbortSignal, fastUntilMs: number): Promise<FoundMessage> {
    try {
      return await waitForToken(this.waitView(), token, signal, fastUntilMs);
    } catch (err) {
      if (signal.aborted) throw signal.reason;
      throw this.init.classify(err, "wait");
    }
  }

  private waitView() {
    return {
      client: this.client,
      mailbox: this.mailbox,
      junkMailbox: this.junkMailbox,
      pollIntervalMs: this.path.pollIntervalMs,
      idleSupported: this.idleSupported,
      openUidNext: this.openUidNext,
      findNew: (t: string, s: AbortSignal) => this.findNew(t, s),
      searchFrom: (m: string, f: number, t: string, s: AbortSignal) => this.searchFrom(m, f, t, s),
      track: <T>(p: Promise<T>) => this.track(p),
      junkFailed: (detail: string) => {
        this.junkMailbox = undefined;
        this.gaveUp.push(detail);
      },
    };
  }

  commands = () => this.init.counter.counts();
  notes = () => [...this.gaveUp];
  usable = () => this.client.usable;

  async idleLagMs(found: FoundMessage, s: AbortSignal): Promise<number | undefined> {
    if (!this.idleSupported || found.mailbox !== this.mailbox) return undefined;
    await this.settled(s);
    // The \\Flagged STORE goes through the mailbox check like every UID command.
    const flag = (sig: AbortSignal) => this.step(this.mailbox, sig, (box) => box.flagsAdd(String(found.uid), ["\\Flagged"]));
    return measureIdleLag(this.init.second, this.mailbox, flag, s).catch(() => undefined);
  }

  async findNow(token: string, s: AbortSignal): Promise<FoundMessage | undefined> {
    try {
      await this.settled(s);
      // The client's view of the mailbox is as fresh as its last command: ask the server first.
      await raceSignal(this.track(this.client.noop()), s);
      return await this.findNew(token, s);
    } catch (err) {
      if (s.aborted) throw s.reason;
      throw this.init.classify(err, "wait");
    }
  }

  async findIn(mailbox: string, token: string, s: AbortSignal): Promise<FoundMessage | undefined> {
    if (mailbox === this.init.junkMailbox && !this.junkMailbox) return undefined;
    await this.settled(s);
    // SEARCH HEADER is a substring match: the candidates' headers are read and matched exactly.
    const since = new Date(Date.now() - 86_400_000);
    return this.step(mailbox, s, async (box) => this.pick(box, await box.search({ since, header: { "x-mailprobe-token": token } }), token));
  }

  async delete(found: FoundMessage, own: OwnMessage, s: AbortSignal): Promise<CleanupAction> {
    await this.settled(s);
    return this.step(found.mailbox, s, async (box) => {
      // NOOP first: it brings this session's view up to date (EXPUNGEs by other sessions, another listener).
      await this.client.noop();
      if (!(await box.search({ uid: String(found.uid) })).length)
        return { mode: this.plan.mode, removed: true, count: 0, detail: `uid ${found.uid} already removed (through another path to this mailbox)` };
      // The ownership proof right before removing: the message at this UID, in the mailbox selected now.
      const now = await box.fetchOne(found.uid, PROOF_QUERY);
      const v = now ? isOurs(evidenceOf(now, found.mailbox), { kind: "run", ...own, selected: box.selectedNow() }) : undefined;
      if (!v?.ours) {
        const detail = `uid ${found.uid} in ${found.mailbox} no longer carries this run's token and sender${v ? ` (${v.why})` : ""}: not removed`;
        return { mode: this.plan.mode, removed: false, count: 0, detail };
      }
      return removeUids(box, this.plan, [found.uid]);
    });
  }

  /** The stale sweep of the watched mailbox, then of the junk mailbox (a failed Junk landing leaves its message there). */
  async sweep(opts: SweepOptions, s: AbortSignal): Promise<SweepResult> {
    await this.settled(s);
    const main = await this.step(this.mailbox, s, (box) => sweepMailbox(box, this.plan, opts));
    if (!this.init.junkMailbox) return main;
    const junk = await this.step(this.init.junkMailbox, s, (box) => sweepMailbox(box, this.plan, opts)).catch((err: unknown) => ({
      removed: 0,
      leftBehind: 0,
      detail: `junk mailbox not swept: ${junkError(err)}`,
    }));
    return mergeSweeps(main, junk);
  }

  rehearse = (signal: AbortSignal) => rehearse(this, signal);

  async close(): Promise<void> {
    // Logout politely, for at most a second; the timer must not outlive it (it would hold the process).
    const limit = new AbortController();
    try {
      await Promise.race([this.client.logout(), sleep(1000, limit.signal)]);
    } catch {
      /* the connection may already be gone */
    } finally {
      limit.abort();
    }
    this.client.close();
  }
}

export type Classify = (err: unknown, phase: "connect" | "mailbox" | "wait") => ProbeError;
