// watch's session: repeat the cycle until the signal (or `count`), track each path's state, print
// a live block on a TTY or JSON lines otherwise, keep a sender's credits within budget, and end
// with the summary. It reports to no sink: the CronJob's groups and Kuma monitors stay as they are.
import { redactDeep, type Redactor } from "../redact.js";
import type { ResolvedProbe } from "../config/load.js";
import { sleep } from "../core/deadline.js";
import type { ProbeResult } from "../core/result.js";
import type { Logger } from "../log.js";
import { createSenderContext } from "../core/sender.js";
import { createIdleLagMemory } from "../probe/idle-memory.js";
import { runProbe } from "../probe/run.js";
import { checkBudget } from "./budget.js";
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
}

/** Runs the watch; resolves with the exit code (0: every path healthy in the last complete cycle). */
export async function runWatch(o: WatchOptions): Promise<number> {
  const { probes, everyMs, count, live } = o;
  // Redacted before it is serialised (o.stdout redacts the text once more).
  const emit = (obj: object) => o.stdout(JSON.stringify(o.redact ? redactDeep(obj, o.redact) : obj) + "\n");
  // On a TTY the live rows say what the logs would; only errors still go to stderr.
  const log = live ? o.log.child({}, { level: "error" }) : o.log;

  const credited = creditSender(probes);
  const creditType = credited?.module.type ?? "";
  const creditProbes = credited?.probes ?? 0;
  const budget: Budget = { sends: 0, checkedAtMs: Date.now() };
  if (credited) {
    const c = await accountCredits(probes, creditType, o.signal);
    budget.credits = c.credits;
    if (c.detail) o.stderr(`mailprobe watch: ${credited.module.displayName}'s account endpoint failed (${c.detail}); remaining credits unknown\n`);
    const verdict = checkBudget({ everyMs, creditProbes, credits: c.credits, via: credited.module.displayName });
    if (!verdict.ok && !o.force) {
      if (o.json) emit({ event: "refused", everySeconds: everyMs / 1000, sendsPerHour: verdict.sendsPerHour, credits: c.credits, message: verdict.message });
      o.stderr(`mailprobe watch: refused: ${verdict.message}\n`);
      return 2;
    }
  }

  const startMs = Date.now();
  const tracker = new WatchTracker(probes, startMs);
  let cycle = 0;
  let running = false;
  let nextAtMs: number | undefined;
  let drawn = 0;
  let lastResults: ProbeResult[] = [];

  const draw = (above: string[] = []) => {
    if (!live) return;
    const width = o.width();
    const block = liveBlock({
      views: tracker.views(),
      cycle,
      running,
      nextInMs: nextAtMs === undefined ? undefined : Math.max(0, nextAtMs - Date.now()),
      everyMs,
      budget,
      credits: credited?.module,
      color: o.color,
      width,
    });
    o.stdout((drawn ? `\x1b[${drawn}A\r\x1b[0J` : "") + above.map((l) => l + "\n").join("") + block.join("\n") + "\n");
    drawn = block.length;
  };
  const ticker = live ? setInterval(() => draw(), 1000) : undefined;
  if (!live)
    emit({
      event: "start",
      at: new Date(startMs).toISOString(),
      everySeconds: everyMs / 1000,
      probes: probes.map((p) => ({ probe: p.name, sender: p.sender.type, paths: p.paths.map((x) => x.name) })),
      credits: budget.credits,
    });
  draw();

  // One per session: every cycle shares the senders' rate budgets (Brevo's event log).
  const senderContext = createSenderContext();
  const idleLags = createIdleLagMemory();
  try {
    while (!o.signal.aborted && (count === undefined || cycle < count)) {
      cycle += 1;
      running = true;
      nextAtMs = undefined;
      draw();
      const cycleStart = Date.now();
      const results = await Promise.all(probes.map((p) => runProbe(p, { log, signal: o.signal, senderContext, idleLags })));
      running = false;
      const at = Date.now();
      const creditSends = results.filter((r) => r.send.type === creditType && r.send.ok).length;
      budget.sends += creditSends;
      if (budget.credits !== undefined) budget.credits = Math.max(0, budget.credits - creditSends);
      const transitions: Transition[] = results.flatMap((r) => tracker.observe(r, at));
      if (!results.some((r) => r.aborted)) lastResults = results;
      if (creditProbes && at - budget.checkedAtMs > CREDITS_REFRESH_MS && !o.signal.aborted) {
        const c = await accountCredits(probes, creditType, o.signal);
        if (c.credits !== undefined) budget.credits = c.credits;
        budget.checkedAtMs = Date.now();
      }
      if (live) draw(transitions.map((t) => `${hhmmss(t.atMs)} ${t.text}`));
      else {
        for (const t of transitions)
          emit({ event: "transition", at: new Date(t.atMs).toISOString(), path: t.label, from: t.from, to: t.to, verdict: t.verdict, text: t.text });
        for (const r of results) {
          emit({
            event: "cycle",
            cycle,
            at: new Date(at).toISOString(),
            probe: r.probe,
            token: r.token,
            ok: r.ok,
            aborted: r.aborted,
            seconds: r.durationSeconds,
            send: { type: r.send.type, ok: r.send.ok, reason: r.send.reason },
            paths: r.paths.map((p) => ({
              name: p.name,
              ok: p.ok,
              reason: p.reason,
              roundtripSeconds: p.roundtripSeconds,
              clientIp: p.ip?.ip,
              verdict: tracker.views().find((v) => v.probe === r.probe && v.path === p.name)?.verdict,
            })),
            ...(r.diagnosis ? { diagnosis: r.diagnosis.code } : {}),
            ...(r.pathSplit ? { pathSplit: r.pathSplit } : {}),
            cleanup: r.cleanup,
            ...(r.warnings?.length ? { warnings: r.warnings } : {}),
            ...(creditProbes ? { [creditType]: { sends: budget.sends, credits: budget.credits } } : {}),
          });
        }
      }
      if (count !== undefined && cycle >= count) break;
      nextAtMs = cycleStart + everyMs;
      draw();
      try {
        await sleep(Math.max(0, nextAtMs - Date.now()), o.signal);
      } catch {
        break;
      }
    }
  } finally {
    if (ticker) clearInterval(ticker);
  }

  running = false;
  nextAtMs = undefined;
  draw();
  const endMs = Date.now();
  const summary = tracker.summary(endMs);
  const completed = Math.max(...tracker.views().map((v) => v.runs), 0);
  if (live) o.stdout("\n" + summaryText(summary, { cycles: completed, elapsedMs: endMs - startMs, budget, credits: credited?.module }));
  else
    emit({
      event: "summary",
      at: new Date(endMs).toISOString(),
      cycles: completed,
      seconds: Math.round((endMs - startMs) / 100) / 10,
      paths: summary,
      ...(creditProbes ? { [creditType]: { sends: budget.sends, credits: budget.credits } } : {}),
    });
  // The verdict of the last complete cycle: 0 when every path was healthy in it.
  return lastResults.length && lastResults.every((r) => r.ok) ? 0 : 1;
}
