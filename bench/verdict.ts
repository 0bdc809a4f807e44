// 6. Verdict: the figures of issue 14 in one script, against one baseline (the lab as it is now).
//  a. Time to verdict after delivery, per case (healthy, SNAT, Junk, upstream hard bounce,
//     blackholed): from the moment the facts exist (Dovecot stored the message; Brevo logged the
//     bounce; the send, for a message that never comes) to the process's exit, mailprobe on Node 24
//     through a counting IMAPS relay of ours (bench/imap-counter.ts), which gives the IMAP commands
//     per path per run. Peak RSS of every run from /usr/bin/time.
//  b. Whole-process wall against check_email_delivery, alternating, same mailbox and route: instant
//     delivery (SMTP route; Brevo route, the peer's sender a bare curl) and delivery delays drawn
//     uniformly from 0.5–5 s (the fake Brevo's `late` fault; mean of wall − delay).
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { set } from "../test/lab/lab.js";
import { imapCounter, type ImapCounts } from "./imap-counter.js";
import {
  accounts,
  addr,
  brevo,
  brevoConfig,
  bundle,
  fakeBrevoFault,
  imageFlags,
  median,
  ms,
  N,
  node24,
  peerRun,
  port,
  quantile,
  ratio,
  Report,
  smtpConfig,
  table,
  timed,
} from "./lib.js";
import { watchStores } from "./roundtrip.js";

/** Deadline of the slow cases (Junk, hard bounce, blackholed): above the first read of Brevo's log (10 s). */
const TIMEOUT_S = Number(process.env.BENCH_VERDICT_TIMEOUT ?? 20);
/** Runs of the slow cases (a blackholed run costs TIMEOUT_S). */
const NS = Math.max(1, Math.min(N, 3));
const FAKE_BREVO = `http://${addr.listen}:${port.fakeBrevo}`;

interface Run {
  ms: number;
  /** Wall clock (epoch ms) when the process had exited. */
  exitAt: number;
  code: number | null;
  json: any;
  rssKiB: number;
}

/** As the image runs it: the ENTRYPOINT's flags (imageFlags) and a compile cache written beforehand (the Dockerfile's step). */
const COMPILE_CACHE = join(tmpdir(), `mailprobe-bench-compile-cache-${process.getuid?.() ?? 0}`);
const SHIPPED_FLAGS = imageFlags;

export function warmCompileCache(): void {
  rmSync(COMPILE_CACHE, { recursive: true, force: true });
  mkdirSync(COMPILE_CACHE, { recursive: true });
  const dir = dirname(bundle);
  const env = { ...process.env, NODE_COMPILE_CACHE: COMPILE_CACHE };
  const warm = `import { readdirSync } from "node:fs"; for (const f of readdirSync(${JSON.stringify(dir)}).sort()) if (f.endsWith(".js") && f !== "mailprobe.js" && !f.startsWith("bin-")) await import(${JSON.stringify(dir + "/")} + f); (await import("node:module")).flushCompileCache();`;
  execFileSync(node24, [...SHIPPED_FLAGS, "--input-type=module", "-e", warm], { env });
  execFileSync(node24, [...SHIPPED_FLAGS, bundle, "--version"], { env });
}

/** `mailprobe run --json` on Node 24 as shipped, under /usr/bin/time (peak RSS); never throws on exit 1. */
export async function run24(config: string): Promise<Run> {
  const r = await timed("/usr/bin/time", ["-f", "MAXRSS_KIB %M", node24, ...SHIPPED_FLAGS, bundle, "run", "--config", config, "--json"], {
    MAILPROBE_LOG_LEVEL: "error",
    NODE_COMPILE_CACHE: COMPILE_CACHE,
  });
  const exitAt = Date.now();
  const rss = /MAXRSS_KIB (\d+)/.exec(r.stderr);
  let json: any;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    throw new Error(`mailprobe run printed no JSON (exit ${r.code}): ${(r.stdout + r.stderr).slice(0, 1000)}`);
  }
  return { ms: r.ms, exitAt, code: r.code, json, rssKiB: rss ? Number(rss[1]) : NaN };
}

/** Every upstream_* diagnosis in a result (wherever the JSON puts it). */
function upstreamCodes(x: unknown, out = new Set<string>()): Set<string> {
  if (typeof x === "string" && x.startsWith("upstream_")) out.add(x);
  else if (x && typeof x === "object") for (const v of Object.values(x)) upstreamCodes(v, out);
  return out;
}

async function brevoLab<T>(path: string): Promise<T> {
  return (await (await fetch(`${FAKE_BREVO}${path}`)).json()) as T;
}

async function unblock(email: string): Promise<void> {
  await fetch(`${FAKE_BREVO}/v3/smtp/blockedContacts/${encodeURIComponent(email)}`, { method: "DELETE", headers: { "api-key": brevo.apiKey } });
}

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const s = (x: number) => (Number.isFinite(x) ? `${(x / 1000).toFixed(2)} s` : "–");
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function verdict(report: Report): Promise<void> {
  warmCompileCache();
  const counter = await imapCounter(port.imapsStock);
  let inbox: ReturnType<typeof watchStores> | undefined;
  let junk: ReturnType<typeof watchStores> | undefined;
  const rss: number[] = [];
  const caseRows: (string | number)[][] = [];
  const cmdRows: (string | number)[][] = [];
  const stageRows: (string | number)[][] = [];
  const counted = (name: string, mutate: (p: any) => void = () => undefined) =>
    brevoConfig(name, (p) => {
      p.paths = [{ name: "counted", host: addr.listen, port: counter.port }];
      mutate(p);
    });

  /** Runs one case n times; `factAt` gives the moment its facts existed (epoch ms) or undefined. */
  async function kase(
    label: string,
    cfg: string,
    n: number,
    factAt: (r: Run) => Promise<number | undefined> | number | undefined,
    factName: string,
    target: string,
  ): Promise<void> {
    const after: number[] = [];
    const seen: number[] = [];
    const walls: number[] = [];
    const cmds: ImapCounts[] = [];
    const outcomes = new Set<string>();
    const stages = new Map<string, number[]>();
    let missing = 0;
    counter.take();
    for (let i = 0; i < n; i++) {
      const r = await run24(cfg);
      cmds.push(counter.take());
      rss.push(r.rssKiB);
      walls.push(r.ms);
      const p = r.json.probes[0];
      const path = p.paths[0];
      const how = [path.foundDuring && `found during ${path.foundDuring}`, p.diagnosis?.during && `log read during ${p.diagnosis.during}`];
      outcomes.add([path.ok ? "ok" : path.reason, ...upstreamCodes(p), ...how].filter(Boolean).join(" "));
      for (const [k, v] of Object.entries((path.stages ?? {}) as Record<string, number>)) stages.set(k, [...(stages.get(k) ?? []), v * 1000]);
      const at = await factAt(r);
      if (at === undefined) missing++;
      else {
        after.push(r.exitAt - at);
        if (path.seenAt) seen.push(Date.parse(path.seenAt) - at);
      }
    }
    caseRows.push([
      label,
      n,
      factName,
      seen.length ? ms(median(seen)) : "–",
      s(median(after)),
      s(Math.max(...after)),
      s(median(walls)),
      target,
      [...outcomes].join("; ") + (missing ? ` (${missing} without a fact time)` : ""),
    ]);
    if (stages.size) stageRows.push([label, ...["send", "upstream", "mx", "seen"].map((k) => (stages.has(k) ? ms(median(stages.get(k)!)) : "–"))]);
    const verbs = new Map<string, number[]>();
    for (const c of cmds) for (const [v, k] of c.byVerb) verbs.set(v, [...(verbs.get(v) ?? []), k]);
    cmdRows.push([
      label,
      median(cmds.map((c) => c.commands)),
      Math.max(...cmds.map((c) => c.commands)),
      median(cmds.map((c) => c.connections)),
      [...verbs]
        .sort((a, b) => median(b[1]) - median(a[1]))
        .map(([v, k]) => `${v} ${median([...k, ...Array(n - k.length).fill(0)])}`)
        .join(", "),
    ]);
  }

  const stored = (w: () => ReturnType<typeof watchStores> | undefined) => (r: Run) => w()?.stored.get(r.json.probes[0].token);
  const sentAt = async (r: Run) => {
    const id = r.json.probes[0].send?.messageId;
    return (await brevoLab<{ messageId: string; at: number }[]>("/__lab/sent")).find((x) => x.messageId === id)?.at;
  };
  const eventAt = (name: string) => async (r: Run) => {
    const id = r.json.probes[0].send?.messageId;
    const e = (await brevoLab<{ messageId: string; event: string; date: string }[]>("/__lab/events")).find((x) => x.messageId === id && x.event === name);
    return e ? Date.parse(e.date) : undefined;
  };

  try {
    const healthy = counted("bench_v_ok");
    await run24(healthy); // warm Dovecot's indexes and the page cache; a fresh lab's Maildir exists after it
    inbox = watchStores();
    await kase(
      "healthy",
      healthy,
      N,
      stored(() => inbox),
      "stored in INBOX",
      "< 50 ms",
    );

    await fakeBrevoFault({ mode: "late", delayMs: 2000 });
    try {
      await kase(
        "healthy, delivered 2 s late",
        counted("bench_v_late", (p) => (p.timeoutSeconds = 20)),
        NS,
        stored(() => inbox),
        "stored in INBOX",
        "–",
      );
    } finally {
      await fakeBrevoFault({ mode: "none" });
    }

    await set({ proxy: "broken" });
    try {
      const snat = counted("bench_v_snat", (p) => (p.timeoutSeconds = 20));
      await run24(snat); // postscreen's first-contact delay for the SNAT address, not part of the figure
      await kase(
        "SNAT (PROXY lost)",
        snat,
        N,
        stored(() => inbox),
        "stored in INBOX",
        "< 50 ms",
      );
    } finally {
      await set({ proxy: "ok" });
    }

    const junkCfg = counted("bench_v_junk", (p) => {
      p.to = "probe+Junk@lab.test";
      p.timeoutSeconds = TIMEOUT_S;
    });
    await run24(junkCfg); // creates the Junk Maildir folder that the watcher needs
    junk = watchStores(".Junk");
    await kase(
      "Junk",
      junkCfg,
      NS,
      stored(() => junk),
      "stored in Junk",
      "< 2 s",
    );

    await fakeBrevoFault({ mode: "hardBounce", delayMs: 2000 });
    try {
      const cfg = counted("bench_v_bounce", (p) => (p.timeoutSeconds = TIMEOUT_S));
      await kase("upstream hard bounce (logged 2 s after the send)", cfg, NS, eventAt("hardBounces"), "Brevo logged hardBounces", "< 20 s");
    } finally {
      await fakeBrevoFault({ mode: "none" });
      await unblock(accounts.alias);
    }

    await fakeBrevoFault({ mode: "blackhole" });
    try {
      const cfg = counted("bench_v_blackhole", (p) => (p.timeoutSeconds = TIMEOUT_S));
      await kase("blackholed", cfg, NS, sentAt, "Brevo accepted the send", `the deadline (${TIMEOUT_S} s)`);
    } finally {
      await fakeBrevoFault({ mode: "none" });
    }
  } finally {
    inbox?.close();
    junk?.close();
    await counter.close();
  }

  // b. Whole-process wall against the peer, direct to the stock IMAPS like the peer.
  const smtpCfg = smtpConfig("bench_v_smtp");
  const brevoCfg = brevoConfig("bench_v_brevo", (p) => {
    p.timeoutSeconds = 20;
    p.paths = p.paths.filter((x: any) => x.name === "internal");
  });
  await run24(smtpCfg);
  await peerRun({ wait: 0.1, interval: 1, via: "smtp" });
  const walls = { smtp: [] as number[], smtpPeer: [] as number[], brevo: [] as number[], brevoPeer: [] as number[] };
  for (let i = 0; i < N; i++) {
    const a = await run24(smtpCfg);
    if (a.code !== 0) throw new Error(`mailprobe run failed: ${JSON.stringify(a.json).slice(0, 1000)}`);
    walls.smtp.push(a.ms);
    rss.push(a.rssKiB);
    walls.smtpPeer.push(await peerRun({ wait: 0.1, interval: 1, via: "smtp" }));
    const b = await run24(brevoCfg);
    if (b.code !== 0) throw new Error(`mailprobe run failed: ${JSON.stringify(b.json).slice(0, 1000)}`);
    walls.brevo.push(b.ms);
    rss.push(b.rssKiB);
    walls.brevoPeer.push(await peerRun({ wait: 0.1, interval: 1, via: "brevo" }));
  }
  const delays: number[] = [];
  const lateMp: number[] = [];
  const latePeer: number[] = [];
  try {
    for (let i = 0; i < N; i++) {
      const d = Math.round(500 + Math.random() * 4500);
      delays.push(d);
      await fakeBrevoFault({ mode: "late", delayMs: d });
      const a = await run24(brevoCfg);
      if (a.code !== 0) throw new Error(`mailprobe run failed: ${JSON.stringify(a.json).slice(0, 1000)}`);
      lateMp.push(a.ms - d);
      rss.push(a.rssKiB);
      latePeer.push((await peerRun({ wait: 0.1, interval: 1, via: "brevo" })) - d);
    }
  } finally {
    await fakeBrevoFault({ mode: "none" });
  }

  report.add("6. Verdict (issue 14)", [
    `**a. Time to verdict.** mailprobe \`run --json\` on Node 24 as the image runs it (the bundle, \`${imageFlags.join(" ")}\`, a compile cache written beforehand), the Brevo route, one path through a counting IMAPS relay of ours in front of Dovecot's stock listener (bench/imap-counter.ts). "after the fact" = the process's exit minus the moment the fact existed: Dovecot renamed the message into the folder's \`new/\` (kernel ctime; clock resolution below 1 ms), Brevo's log holds the event (the fake's event date, ms), or Brevo accepted the send (blackholed). "seen" = the path's \`seenAt\` minus the same moment (Date resolution 1 ms). Cases bounded by the deadline use \`timeoutSeconds: ${TIMEOUT_S}\` and ${NS} runs; the others ${N}.`,
    "",
    ...table(
      [
        "case",
        "runs",
        "the fact",
        "seen after it (median)",
        "verdict (exit) after it, median",
        "max",
        "process wall, median",
        "issue 14 target",
        "outcome (reason, upstream)",
      ],
      caseRows,
    ),
    "",
    "**Stages** (the result's `stages`, medians of the same runs; `mx` counts from the entry hop's Received date, which has 1 s resolution and is truncated, so it reads up to 1 s long; `upstream` only when Brevo's log was read during the wait):",
    "",
    ...table(["case", "send", "upstream", "mx", "seen"], stageRows),
    "",
    "**IMAP commands per path per run** (the same runs; tagged commands the client sent through the relay, IDLE counted once, its DONE not):",
    "",
    ...table(["case", "commands (median)", "max", "connections", "median per verb"], cmdRows),
    "",
    `**b. Whole process against check_email_delivery** (\`--wait 0.1 --imap-check-interval 1\`), ${N} alternating pairs each, both reading the stock IMAPS of probe@lab.test; mailprobe on Node 24 as the image runs it. Delayed rows: one delay drawn uniformly from 0.5–5 s per pair (mean ${s(mean(delays))}), the fake Brevo's \`late\` fault, the same delay for both.`,
    "",
    ...table(
      ["route, delivery", "mailprobe", "peer", "mailprobe ÷ peer", "issue 14 target"],
      [
        [
          "SMTP submission, instant (median wall)",
          ms(median(walls.smtp)),
          ms(median(walls.smtpPeer)),
          ratio(median(walls.smtp), median(walls.smtpPeer)),
          "≤ 1.0×",
        ],
        [
          "fake Brevo API (peer: curl), instant (median wall)",
          ms(median(walls.brevo)),
          ms(median(walls.brevoPeer)),
          ratio(median(walls.brevo), median(walls.brevoPeer)),
          "≤ 1.5×",
        ],
        ["fake Brevo API, delayed 0.5–5 s (mean wall − delay)", ms(mean(lateMp)), ms(mean(latePeer)), ratio(mean(lateMp), mean(latePeer)), "≤ 0.6×"],
      ],
    ),
    "",
    `**Peak RSS per run on Node 24** (/usr/bin/time, ${rss.length} runs of this section): median ${mib(median(rss))} (${((median(rss) * 1.024) / 1000).toFixed(1)} MB), p90 ${mib(quantile(rss, 0.9))}, max ${mib(Math.max(...rss))}; target < 80 MB.`,
  ]);
}
