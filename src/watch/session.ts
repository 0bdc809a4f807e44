// watch's session: repeat the cycle until the signal (or `count`), track each path's state, print
// a live block on a TTY or JSON lines otherwise, keep a sender's credits within budget, and end
// with the summary. It reports to no sink: the CronJob's groups and Kuma monitors stay as they are.
import { redactDeep, type Redactor } from "../redact.js";
import type { ResolvedProbe } from "../config/load.js";
import { sleep } from "../core/deadline.js";
import type { ProbeResult } from "../core/result.js";
import type { Logger } from "../log.js";
import { createSenderContext, type SenderContext } from "../core/sender.js";
import { createSessionSlots, type SessionSlots } from "../core/slots.js";
import { createIdleLagMemory, type IdleLagMemory } from "../probe/idle-memory.js";
import { runProbe } from "../probe/run.js";
import { checkBudget } from "./budget.js";
import { creditFields, cycleLine, startLine, summaryLine, transitionLine } from "./lines.js";
import { accountCredits, creditSender } from "./route.js";
import { WatchTracker, type Transition } from "./tracker.js";
import { hhmmss, liveBlock, summaryText, type Budget } from "./view.js";

/** The account endpoint of a sender with credits is asked again for the remaining credits at most this often. */
const CREDITS_REFRESH_MS = 5 * 60_000;

export interface WatchOptions {
  /** The probes, each on the route chosen for this watch. */
  probes: ResolvedProbe[];
  everyMs: number;
  count?: number;
  /** A TTY: the live block instead of JSON lines. */
  live: boolean;
  json: boolean;
  color: boolean;
  /** Run even when the interval would spend the credits within the hour. */
  force: boolean;
  log: Logger;
  signal: AbortSignal;
  stdout: (text: string) => void;
  /** Redacts the values of each JSON line before it is serialised. */
  redact?: Redactor;
  stderr: (text: string) => void;
  /** The terminal's width now. */
  width: () => number;
  /** The IMAP session cap per login and host (the config's imapSessionsPerUser; default 4). */
  imapSessionsPerUser?: number;
}

/** One watch's state: the loop changes it, the live block and the JSON lines read it. */
interface WatchState {
  o: WatchOptions;
  log: Logger;
  emit: (obj: object) => void;
  tracker: WatchTracker;
  budget: Budget;
  /** The sender whose sends spend credits, if any probe uses one. */
  credited: ReturnType<typeof creditSender>;
  creditType: string;
  creditProbes: number;
  startMs: number;
  cycle: number;
  running: boolean;
  nextAtMs?: number;
  /** The results of the last cycle that was not aborted: the exit code's verdict. */
  lastResults: ProbeResult[];
  // One per session: every cycle shares the senders' rate budgets (Brevo's event log).
  senderContext: SenderContext;
  idleLags: IdleLagMemory;
  sessionSlots: SessionSlots;
}

/** The credit budget to start with, or exit code 2 when the interval would spend the credits within the hour (without --force). */
async function openBudget(o: WatchOptions, credited: WatchState["credited"], emit: WatchState["emit"]): Promise<Budget | number> {
  const budget: Budget = { sends: 0, checkedAtMs: Date.now() };
  if (!credited) return budget;
  const c = await accountCredits(o.probes, credited.module.type, o.signal);
  budget.credits = c.credits;
  if (c.detail) o.stderr(`mailprobe watch: ${credited.module.displayName}'s account endpoint failed (${c.detail}); remaining credits unknown\n`);
  const verdict = checkBudget({ everyMs: o.everyMs, creditProbes: credited.probes, credits: c.credits, via: credited.module.displayName });
  if (!verdict.ok && !o.force) {
    if (o.json) emit({ event: "refused", everySeconds: o.everyMs / 1000, sendsPerHour: verdict.sendsPerHour, credits: c.credits, message: verdict.message });
    o.stderr(`mailprobe watch: refused: ${verdict.message}\n`);
    return 2;
  }
  return budget;
}

/** Redraws the live block in place (nothing without a TTY); `above` are lines printed once above it. */
function liveDrawer(s: WatchState): (above?: string[]) => void {
  // The height of the block last drawn: the cursor goes up that far to draw over it.
  let drawn = 0;
  return (above = []) => {
    if (!s.o.live) return;
    const width = s.o.width();
    const block = liveBlock({
      views: s.tracker.views(),
      cycle: s.cycle,
      running: s.running,
      nextInMs: s.nextAtMs === undefined ? undefined : Math.max(0, s.nextAtMs - Date.now()),
      everyMs: s.o.everyMs,
      budget: s.budget,
      credits: s.credited?.module,
      color: s.o.color,
      width,
    });
    s.o.stdout((drawn ? `\x1b[${drawn}A\r\x1b[0J` : "") + above.map((l) => l + "\n").join("") + block.join("\n") + "\n");
    drawn = block.length;
  };
}

/** Asks the account endpoint again for the remaining credits when the last answer is older than CREDITS_REFRESH_MS. */
async function refreshCredits(s: WatchState, atMs: number): Promise<void> {
  if (!s.creditProbes || atMs - s.budget.checkedAtMs <= CREDITS_REFRESH_MS || s.o.signal.aborted) return;
  const c = await accountCredits(s.o.probes, s.creditType, s.o.signal);
  if (c.credits !== undefined) s.budget.credits = c.credits;
  s.budget.checkedAtMs = Date.now();
}

/** One cycle: every probe once, the credits spent, the tracker told, and the outcome shown. */
async function runCycle(s: WatchState, draw: (above?: string[]) => void): Promise<void> {
  const { o } = s;
  const results = await Promise.all(
    o.probes.map((p) => runProbe(p, { log: s.log, signal: o.signal, senderContext: s.senderContext, idleLags: s.idleLags, sessionSlots: s.sessionSlots })),
  );
  s.running = false;
  const at = Date.now();
  const creditSends = results.filter((r) => r.send.type === s.creditType && r.send.ok).length;
  s.budget.sends += creditSends;
  if (s.budget.credits !== undefined) s.budget.credits = Math.max(0, s.budget.credits - creditSends);
  const transitions: Transition[] = results.flatMap((r) => s.tracker.observe(r, at));
  if (!results.some((r) => r.aborted)) s.lastResults = results;
  await refreshCredits(s, at);
  if (o.live) draw(transitions.map((t) => `${hhmmss(t.atMs)} ${t.text}`));
  else {
    for (const t of transitions) s.emit(transitionLine(t));
    for (const r of results) s.emit(cycleLine(r, s.cycle, at, s.tracker, creditFields(s.creditProbes, s.creditType, s.budget)));
  }
}

/** The cycles, one every `everyMs` from the start of the last, until the signal or `count`. */
async function runCycles(s: WatchState, draw: (above?: string[]) => void): Promise<void> {
  const { o } = s;
  while (!o.signal.aborted && (o.count === undefined || s.cycle < o.count)) {
    s.cycle += 1;
    s.running = true;
    s.nextAtMs = undefined;
    draw();
    const cycleStart = Date.now();
    await runCycle(s, draw);
    if (o.count !== undefined && s.cycle >= o.count) break;
    s.nextAtMs = cycleStart + o.everyMs;
    draw();
    try {
      await sleep(Math.max(0, s.nextAtMs - Date.now()), o.signal);
    } catch {
      break;
    }
  }
}

/** The summary (text on a TTY, a JSON line otherwise); returns the exit code. */
function finish(s: WatchState, draw: (above?: string[]) => void): number {
  s.running = false;
  s.nextAtMs = undefined;
  draw();
  const endMs = Date.now();
  const summary = s.tracker.summary(endMs);
  const completed = Math.max(...s.tracker.views().map((v) => v.runs), 0);
  if (s.o.live) s.o.stdout("\n" + summaryText(summary, { cycles: completed, elapsedMs: endMs - s.startMs, budget: s.budget, credits: s.credited?.module }));
  else s.emit(summaryLine(endMs, s.startMs, completed, summary, creditFields(s.creditProbes, s.creditType, s.budget)));
  // The verdict of the last complete cycle: 0 when every path was healthy in it.
  return s.lastResults.length && s.lastResults.every((r) => r.ok) ? 0 : 1;
}

/** Runs the watch; resolves with the exit code (0: every path healthy in the last complete cycle). */
export async function runWatch(o: WatchOptions): Promise<number> {
  // Redacted before it is serialised (o.stdout redacts the text once more).
  const emit = (obj: object) => o.stdout(JSON.stringify(o.redact ? redactDeep(obj, o.redact) : obj) + "\n");
  const credited = creditSender(o.probes);
  const budget = await openBudget(o, credited, emit);
  if (typeof budget === "number") return budget;
  const startMs = Date.now();
  const s: WatchState = {
    o,
    // On a TTY the live rows say what the logs would; only errors still go to stderr.
    log: o.live ? o.log.child({}, { level: "error" }) : o.log,
    emit,
    tracker: new WatchTracker(o.probes, startMs),
    budget,
    credited,
    creditType: credited?.module.type ?? "",
    creditProbes: credited?.probes ?? 0,
    startMs,
    cycle: 0,
    running: false,
    lastResults: [],
    senderContext: createSenderContext(),
    idleLags: createIdleLagMemory(),
    sessionSlots: createSessionSlots(o.imapSessionsPerUser),
  };
  const draw = liveDrawer(s);
  const ticker = o.live ? setInterval(() => draw(), 1000) : undefined;
  if (!o.live) emit(startLine(startMs, o.everyMs, o.probes, budget));
  draw();
  try {
    await runCycles(s, draw);
  } finally {
    if (ticker) clearInterval(ticker);
  }
  return finish(s, draw);
}
