// 1. Roundtrip vs the Nagios peer (check_email_delivery), alternating runs on the same lab mailbox,
//    both sending through SMTP submission and reading the stock IMAPS; the Brevo-fake route apart.
// 2. Detection overhead: Dovecot storing the message (the rename into Maildir/new, from the kernel's
//    ctime) → mailprobe seeing it (seenAt), with delivery delays of 0, 1.3 and 3.7 s; the peer's
//    wall time minus the delay beside it.
import { readFileSync, statSync, watch } from "node:fs";
import { join } from "node:path";
import { LAB_DIR } from "../test/lab/topology.js";
import { brevoConfig, bundle, fakeBrevoFault, mailprobeRun, median, ms, N, peerRun, quantile, ratio, Report, smtpConfig, table, timed } from "./lib.js";

export async function roundtrip(report: Report): Promise<void> {
  const cfg = smtpConfig("bench_rt");
  const mp: number[] = [];
  const fast: number[] = [];
  const def: number[] = [];
  await mailprobeRun(cfg); // warm the page cache and Dovecot's indexes, like the peer's first run below
  await peerRun({ wait: 0.1, interval: 1, via: "smtp" });
  for (let i = 0; i < N; i++) {
    mp.push((await mailprobeRun(cfg)).ms);
    fast.push(await peerRun({ wait: 0.1, interval: 1, via: "smtp" }));
    if (i < Math.min(N, 5)) def.push(await peerRun({ wait: undefined, interval: undefined, via: "smtp" }));
  }
  const brevoCfg = brevoConfig("bench_rt_brevo", (p) => (p.paths = p.paths.filter((x: any) => x.name === "internal")));
  const mpBrevo: number[] = [];
  const peerBrevo: number[] = [];
  for (let i = 0; i < N; i++) {
    mpBrevo.push((await mailprobeRun(brevoCfg)).ms);
    peerBrevo.push(await peerRun({ wait: 0.1, interval: 1, via: "brevo" }));
  }
  // The same cycle without a process start per run: `watch` runs its cycles in one process (so does
  // `serve`); each cycle's own duration from its JSON line.
  const watch = await timed(process.execPath, [bundle, "watch", "--config", cfg, "--every", "1s", "--count", String(N), "--json"], {
    MAILPROBE_LOG_LEVEL: "error",
  });
  const cycles = watch.stdout
    .split("\n")
    .filter((l) => l.startsWith('{"event":"cycle"'))
    .map((l) => JSON.parse(l).seconds * 1000);
  const m = median(mp);
  report.add("1. Roundtrip vs check_email_delivery", [
    `Whole process wall time (spawn → exit), ${N} alternating runs each (peer defaults: ${def.length}); one IMAP path, the stock IMAPS. The watch row is the cycle alone, without a process start.`,
    "",
    ...table(
      ["route", "tool and settings", "median", "p90", "mailprobe ÷ this"],
      [
        ["SMTP submission", "mailprobe run", ms(m), ms(quantile(mp, 0.9)), "1.00×"],
        ["SMTP submission", "check_email_delivery --wait 0.1 --imap-check-interval 1", ms(median(fast)), ms(quantile(fast, 0.9)), ratio(m, median(fast))],
        ["SMTP submission", "check_email_delivery (defaults: wait 5 s, poll 5 s)", ms(median(def)), ms(quantile(def, 0.9)), ratio(m, median(def))],
        [
          "SMTP submission",
          `mailprobe watch: one cycle in a running process (${cycles.length} cycles)`,
          ms(median(cycles)),
          ms(quantile(cycles, 0.9)),
          ratio(m, median(cycles)),
        ],
        ["fake Brevo API", "mailprobe run", ms(median(mpBrevo)), ms(quantile(mpBrevo, 0.9)), "1.00×"],
        [
          "fake Brevo API",
          "check_email_delivery --wait 0.1 --imap-check-interval 1 (curl sends)",
          ms(median(peerBrevo)),
          ms(quantile(peerBrevo, 0.9)),
          ratio(median(mpBrevo), median(peerBrevo)),
        ],
      ],
    ),
  ]);
}

/** Watches the probe's Maildir (or one of its folders, e.g. ".Junk"): token → the moment Dovecot renamed the message into new/ (ctime). */
export function watchStores(folder = ""): { stored: Map<string, number>; close: () => void } {
  const dir = join(LAB_DIR, "mail", "lab.test", "probe", "Maildir", folder, "new");
  const stored = new Map<string, number>();
  const w = watch(dir, (_ev, name) => {
    if (!name) return;
    try {
      const file = join(dir, name);
      const st = statSync(file, { bigint: true });
      const text = readFileSync(file, "latin1");
      const token = /^X-Mailprobe-Token:\s*(\S+)/im.exec(text)?.[1] ?? /Nagios Test (\S+)\./.exec(text)?.[1];
      if (token && !stored.has(token)) stored.set(token, Number(st.ctimeNs / 1000n) / 1000);
    } catch {
      /* moved to cur/ or deleted before we looked: counted as missing */
    }
  });
  return { stored, close: () => w.close() };
}

export async function detection(report: Report): Promise<void> {
  const rows: (string | number)[][] = [];
  const w = watchStores();
  try {
    for (const delayMs of [0, 1300, 3700]) {
      if (delayMs) await fakeBrevoFault({ mode: "late", delayMs });
      const cfg = brevoConfig(`bench_det_${delayMs}`, (p) => {
        p.timeoutSeconds = 20;
        p.paths = p.paths.filter((x: any) => x.name === "internal");
      });
      const overhead: number[] = [];
      const mpWall: number[] = [];
      const peerWall: number[] = [];
      let missing = 0;
      try {
        for (let i = 0; i < N; i++) {
          const r = await mailprobeRun(cfg);
          mpWall.push(r.ms - delayMs);
          const p = r.json.probes[0];
          const storedAt = w.stored.get(p.token);
          if (storedAt === undefined) missing++;
          else overhead.push(Date.parse(p.paths[0].seenAt) - storedAt);
          peerWall.push((await peerRun({ wait: 0.1, interval: 1, via: "brevo" })) - delayMs);
        }
      } finally {
        await fakeBrevoFault({ mode: "none" });
      }
      rows.push([
        `${(delayMs / 1000).toFixed(1)} s`,
        ms(median(overhead)),
        ms(quantile(overhead, 0.9)),
        ms(Math.max(...overhead)),
        ms(median(mpWall)),
        ms(median(peerWall)),
        ratio(median(mpWall), median(peerWall)),
        missing ? `${missing} not caught` : "",
      ]);
    }
  } finally {
    w.close();
  }
  report.add("2. Detection overhead", [
    `Dovecot stores the message (rename into Maildir/new, kernel ctime) → mailprobe sees it (\`seenAt\`, ms), ${N} runs per delay through the fake Brevo (its \`late\` fault delays delivery).`,
    "Beside it, the whole wall time minus the delay, for mailprobe and for the peer at its most aggressive settings (curl sends to the same fake Brevo).",
    "",
    ...table(["delivery delay", "detection median", "p90", "max", "mailprobe wall − delay", "peer wall − delay", "mailprobe ÷ peer", ""], rows),
  ]);
}
