// `mailprobe watch`: the cutover view. Repeats the cycle until Ctrl-C (or --count), shows one live
// row per path on a TTY and prints a timestamped line at every state change; without a TTY (or with
// --json) it prints JSON lines. Ctrl-C aborts the running cycle (which still deletes its own
// message, and only that) and prints the summary. It reports to no sink: the CronJob's groups on the
// Pushgateway and its Kuma monitors stay as they are.
import { runProbe } from "../../probe/run.js";
import type { ResolvedProbe, ResolvedSender } from "../../config/load.js";
import type { ProbeResult } from "../../core/result.js";
import { sleep } from "../../core/deadline.js";
import { createSender, senderModule, senderModules, senderTypeList, type SenderModule } from "../../senders/index.js";
import { checkBudget, formatDuration, parseDuration } from "../../watch/budget.js";
import { WatchTracker, type PathSummary, type PathView, type Transition } from "../../watch/tracker.js";
import type { CommandContext } from "../context.js";
import { paint, table } from "../../render/text.js";

const DEFAULT_EVERY = "30s";
/** The account endpoint of a sender with credits is asked again for the remaining credits at most this often. */
const CREDITS_REFRESH_MS = 5 * 60_000;

interface Budget {
  sends: number;
  credits?: number;
  checkedAtMs: number;
}

const hhmmss = (ms: number) => new Date(ms).toISOString().slice(11, 19);
const secs = (s: number | undefined) => (s === undefined ? "-" : `${s.toFixed(2)} s`);

/** Chooses each probe's route for this watch: its sender, or its watchSender when --via names that type. */
function route(probes: ResolvedProbe[], via: string | undefined): ResolvedProbe[] | string {
  if (!via) return probes;
  if (!senderModules().some((m) => m.type === via)) return `--via must be ${senderTypeList(false)}, not "${via}"`;
  const out: ResolvedProbe[] = [];
  for (const p of probes) {
    const s: ResolvedSender | undefined = p.sender.type === via ? p.sender : p.watchSender?.type === via ? p.watchSender : undefined;
    if (!s) return `probe ${p.name} has no ${via} route: add probes[].watchSender with type: ${via} to the config`;
    out.push({ ...p, sender: s });
  }
  return out;
}

/** The first sender with credits to show among the probes' routes: its probes are budgeted. */
function creditSender(probes: ResolvedProbe[]): { module: SenderModule; probes: number } | undefined {
  const module = probes.map((p) => senderModule(p.sender.type)).find((m) => m.hasCredits);
  return module && { module, probes: probes.filter((p) => p.sender.type === module.type).length };
}

async function accountCredits(probes: ResolvedProbe[], type: string, signal: AbortSignal): Promise<{ credits?: number; detail?: string }> {
  const probe = probes.find((p) => p.sender.type === type);
  if (!probe) return {};
  const sender = await createSender(probe.sender);
  try {
    const v = sender.verify ? await sender.verify(signal) : undefined;
    return { credits: v?.credits, detail: v && !v.ok ? v.detail : undefined };
  } catch (err) {
    return { detail: err instanceof Error ? err.message : String(err) };
  } finally {
    sender.close();
  }
}

function liveBlock(o: {
  views: PathView[];
  cycle: number;
  running: boolean;
  nextInMs?: number;
  everyMs: number;
  budget: Budget;
  credits?: SenderModule;
  color: boolean;
  width: number;
}): string[] {
  const c = paint(o.color).sgr;
  const status = o.running ? "running…" : o.nextInMs !== undefined ? `next in ${Math.ceil(o.nextInMs / 1000)}s` : "";
  const brevo = o.credits ? `   ${o.credits.type}: ${o.budget.sends} sent, ${o.budget.credits ?? "?"} credits left` : "";
  const head = `mailprobe watch   every ${formatDuration(o.everyMs)}   cycle ${o.cycle} ${status}${brevo}   (Ctrl-C for the summary)`;
  const rows = [["PATH", "STATE", "ROUNDTRIP", "CLIENT IP", "STREAK", "SINCE", "VERDICT"]];
  for (const v of o.views)
    rows.push([v.label, v.runs ? v.state : "…", secs(v.lastRoundtripSeconds), v.clientIp ?? "-", String(v.streak), hhmmss(v.lastChangeMs), v.verdict]);
  const lines = [head, ...table(rows)].map((l) => (l.length >= o.width ? l.slice(0, o.width - 2) + "…" : l));
  return lines.map((l, i) => (i === 0 ? c("1", l) : i === 1 ? c("2", l) : / FAIL /.test(l) ? c("31;1", l) : / OK /.test(l) ? c("32", l) : l));
}

function summaryText(s: PathSummary[], o: { cycles: number; elapsedMs: number; budget: Budget; credits?: SenderModule }): string {
  const rows = [["PATH", "RUNS", "AVAILABILITY", "P50", "P95", "MAX", "OUTAGES"]];
  for (const p of s)
    rows.push([
      p.label,
      String(p.runs),
      `${p.availabilityPercent.toFixed(1)} %`,
      secs(p.roundtripSeconds.p50),
      secs(p.roundtripSeconds.p95),
      secs(p.roundtripSeconds.max),
      String(p.outages.length),
    ]);
  const out = [`watch summary: ${o.cycles} cycle${o.cycles === 1 ? "" : "s"} in ${formatDuration(o.elapsedMs)}`, ...table(rows).map((l) => `  ${l}`)];
  for (const p of s) {
    for (const w of p.outages)
      out.push(`  ${p.label} outage ${w.from.slice(11, 19)} → ${w.to ? w.to.slice(11, 19) : "still failing"} (${w.seconds} s): ${w.reason}`);
  }
  if (o.credits)
    out.push(`  ${o.credits.type}: ${o.budget.sends} mail${o.budget.sends === 1 ? "" : "s"} sent by this watch, ${o.budget.credits ?? "?"} credits left`);
  return out.join("\n") + "\n";
}

export async function watchCommand(ctx: CommandContext): Promise<number> {
  const everyMs = parseDuration(String(ctx.args.every ?? DEFAULT_EVERY));
  if (everyMs === undefined) {
    ctx.stderr(`mailprobe watch: --every ${String(ctx.args.every)} is not a duration of at least 1 s (e.g. 30s, 2m, 1m30s)\n`);
    return 2;
  }
  const count = ctx.args.count === undefined ? undefined : Number(ctx.args.count);
  if (count !== undefined && !(Number.isInteger(count) && count > 0)) {
    ctx.stderr(`mailprobe watch: --count ${String(ctx.args.count)} is not a positive whole number\n`);
    return 2;
  }
  const routed = route(ctx.probes, ctx.args.via as string | undefined);
  if (typeof routed === "string") {
    ctx.stderr(`mailprobe watch: ${routed}\n`);
    return 2;
  }
  const probes = routed;
  const live = !ctx.json && ctx.tty;
  const emit = (obj: object) => ctx.stdout(JSON.stringify(obj) + "\n");
  // On a TTY the live rows say what the logs would; only errors still go to stderr.
  const log = live ? ctx.log.child({}, { level: "error" }) : ctx.log;

  const credited = creditSender(probes);
  const creditType = credited?.module.type ?? "";
  const creditProbes = credited?.probes ?? 0;
  const budget: Budget = { sends: 0, checkedAtMs: Date.now() };
  if (credited) {
    const c = await accountCredits(probes, creditType, ctx.signal);
    budget.credits = c.credits;
    if (c.detail) ctx.stderr(`mailprobe watch: ${credited.module.displayName}'s account endpoint failed (${c.detail}); remaining credits unknown\n`);
    const verdict = checkBudget({ everyMs, creditProbes, credits: c.credits, via: credited.module.displayName });
    if (!verdict.ok && !ctx.args.force) {
      if (ctx.json) emit({ event: "refused", everySeconds: everyMs / 1000, sendsPerHour: verdict.sendsPerHour, credits: c.credits, message: verdict.message });
      ctx.stderr(`mailprobe watch: refused: ${verdict.message}\n`);
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
    const width = process.stdout.columns || 120;
    const block = liveBlock({
      views: tracker.views(),
      cycle,
      running,
      nextInMs: nextAtMs === undefined ? undefined : Math.max(0, nextAtMs - Date.now()),
      everyMs,
      budget,
      credits: credited?.module,
      color: ctx.color,
      width,
    });
    ctx.stdout((drawn ? `\x1b[${drawn}A\r\x1b[0J` : "") + above.map((l) => l + "\n").join("") + block.join("\n") + "\n");
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

  try {
    while (!ctx.signal.aborted && (count === undefined || cycle < count)) {
      cycle += 1;
      running = true;
      nextAtMs = undefined;
      draw();
      const cycleStart = Date.now();
      const results = await Promise.all(probes.map((p) => runProbe(p, { log, signal: ctx.signal })));
      running = false;
      const at = Date.now();
      const creditSends = results.filter((r) => r.send.type === creditType && r.send.ok).length;
      budget.sends += creditSends;
      if (budget.credits !== undefined) budget.credits = Math.max(0, budget.credits - creditSends);
      const transitions: Transition[] = results.flatMap((r) => tracker.observe(r, at));
      if (!results.some((r) => r.aborted)) lastResults = results;
      if (creditProbes && at - budget.checkedAtMs > CREDITS_REFRESH_MS && !ctx.signal.aborted) {
        const c = await accountCredits(probes, creditType, ctx.signal);
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
            ...(creditProbes ? { [creditType]: { sends: budget.sends, credits: budget.credits } } : {}),
          });
        }
      }
      if (count !== undefined && cycle >= count) break;
      nextAtMs = cycleStart + everyMs;
      draw();
      try {
        await sleep(Math.max(0, nextAtMs - Date.now()), ctx.signal);
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
  if (live) ctx.stdout("\n" + summaryText(summary, { cycles: completed, elapsedMs: endMs - startMs, budget, credits: credited?.module }));
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
