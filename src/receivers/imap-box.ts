// The only way a UID command is sent: `withMailbox` takes imapflow's mailbox lock on the resolved
// name (imapflow SELECTs it if another is selected), checks what the server has selected, runs the
// step with a `Selected` handle, selects the watched mailbox again while still holding the lock, and
// releases the lock only when the step has really ended. A UID means something in one mailbox only,
// so every UID command goes through `Selected`, which checks before each command that the step
// still owns the lock and that the server's selected mailbox is the resolved name.
//
// Two traps of the lock (issue 18, the reviewer's suspicions): a step abandoned on its signal must
// not release the lock while its command is still queued (the next lock holder's SELECT would run
// before that step's next UID command) — the lock is released when the step settles, and the
// abandoned step's later UID commands are refused; a lock request abandoned while queued is
// released as soon as it is granted, or every later request waits for ever.
import type { FetchMessageObject, FetchQueryObject, ImapFlow, SearchObject } from "imapflow";
import { raceSignal } from "../core/deadline.js";

export class WrongMailboxError extends Error {}

/** A mailbox held by one step: UID commands, each after the check. */
export class Selected {
  /** Cleared when the step is abandoned or over: its UID commands are refused from then on. */
  held = true;

  constructor(
    private readonly client: ImapFlow,
    /** The resolved name (as imapflow's `mailbox.path` says it). */
    readonly name: string,
  ) {}

  /** The mailbox the server has selected now (imapflow's view), if any. */
  selectedNow(): string | undefined {
    return this.client.mailbox ? this.client.mailbox.path : undefined;
  }

  /** Throws (no command sent) unless this step still holds the lock and `name` is selected. */
  check(): void {
    const at = this.selectedNow();
    if (!this.held) throw new WrongMailboxError(`the step on ${this.name} was abandoned: no UID command sent`);
    if (at !== this.name) throw new WrongMailboxError(`${at ?? "no mailbox"} is selected where ${this.name} was expected: no UID command sent`);
  }

  get exists(): number {
    return this.client.mailbox ? this.client.mailbox.exists : 0;
  }

  has(capability: string): boolean {
    return this.client.capabilities.has(capability);
  }

  async search(query: SearchObject): Promise<number[]> {
    this.check();
    return (await this.client.search(query, { uid: true })) || [];
  }

  async *fetch(range: string, query: FetchQueryObject): AsyncGenerator<FetchMessageObject> {
    this.check();
    yield* this.client.fetch(range, { ...query, uid: true }, { uid: true });
  }

  async fetchOne(uid: number | "*", query: FetchQueryObject): Promise<FetchMessageObject | undefined> {
    this.check();
    const m = await this.client.fetchOne(String(uid), { ...query, uid: true }, { uid: uid !== "*" });
    return m || undefined;
  }

  flagsAdd(uids: string, flags: string[]): Promise<boolean> {
    this.check();
    return this.client.messageFlagsAdd(uids, flags, { uid: true });
  }

  /** `UID EXPUNGE` (imapflow sends plain EXPUNGE without UIDPLUS: the caller checks UIDPLUS). */
  expunge(uids: string): Promise<boolean> {
    this.check();
    return this.client.messageDelete(uids, { uid: true });
  }

  async move(uids: string, to: string): Promise<boolean> {
    this.check();
    return !!(await this.client.messageMove(uids, to, { uid: true }));
  }
}

/** imapflow's mailbox lock, raced with `signal`; an abandoned request is released when granted. */
async function lockOf(client: ImapFlow, name: string, signal: AbortSignal) {
  const req = client.getMailboxLock(name);
  try {
    return await raceSignal(req, signal);
  } catch (err) {
    req.then(
      (l) => l.release(),
      () => undefined,
    );
    throw err;
  }
}

/**
 * Runs `fn` with `name` selected (see the file comment) and the watched mailbox selected again after.
 * Returns the step's promise raced with `signal` and, as `settled`, the step's own end (lock released).
 */
export function withMailbox<T>(
  client: ImapFlow,
  name: string,
  watched: string,
  signal: AbortSignal,
  fn: (box: Selected) => Promise<T>,
): { result: Promise<T>; settled: Promise<unknown> } {
  const step = (async () => {
    const lock = await lockOf(client, name, signal);
    const box = new Selected(client, name);
    const onAbort = () => (box.held = false);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      box.check();
      return await fn(box);
    } finally {
      signal.removeEventListener("abort", onAbort);
      box.held = false;
      // Back to the watched mailbox inside the lock (new-mail polls and IDLE watch it).
      if (name !== watched) await client.mailboxOpen(watched).catch(() => undefined);
      lock.release();
    }
  })();
  const settled = step.catch(() => undefined);
  return { result: raceSignal(step, signal), settled };
}
