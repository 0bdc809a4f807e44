// 1a. Whole run against the peer on a path with immediate delivery (issue 23): Postfix listeners
//     without the milter (test/lab/topology.ts smtpImmediate, submissionImmediate), so no filter delay
//     lets the peer's 1 s interval hide its own cost. SMTP route: both submit to the immediate
//     submission; Brevo route: a fake Brevo of this process relays into the immediate smtpd, and the
//     peer's curl posts to the same fake. mailprobe as the image runs it (Node 24, --lite-mode,
//     compile cache warm); alternating whole-process pairs, median of each side and of the pair ratios.
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createFakeBrevo } from "../test/lab/fake-brevo.js";
import { labSmtpSender } from "../test/helpers/cli.js";
import { addr, brevoConfig, bundle, imageFlags, median, ms, N, node24, peerRun, port, quantile, Report, smtpConfig, table, timed } from "./lib.js";

/** One `mailprobe run --json` as the image starts it; wall time in ms and the peak RSS (KiB). */
async function imageRun(config: string, cache: string): Promise<{ ms: number; rssKiB: number }> {
  const r = await timed("/usr/bin/time", ["-f", "@@%M", node24, ...imageFlags, bundle, "run", "--config", config, "--json"], {
    NODE_COMPILE_CACHE: cache,
    MAILPROBE_LOG_LEVEL: "error",
  });
  if (r.code !== 0) throw new Error(`mailprobe run failed (${r.code}): ${r.stdout.slice(0, 1500)} ${r.stderr.slice(-500)}`);
  return { ms: r.ms, rssKiB: Number(/@@(\d+)/.exec(r.stderr)?.[1]) };
}

export interface ImmediateFigures {
  rows: (string | number)[][];
  peaksKiB: number[];
}

async function pairs(mpConfig: string, cache: string, peer: Parameters<typeof peerRun>[0], peaksKiB: number[]) {
  await imageRun(mpConfig, cache); // fills the compile cache, warms Dovecot's indexes
  await peerRun(peer);
  const mp: number[] = [];
  const other: number[] = [];
  const ratios: number[] = [];
  for (let i = 0; i < Math.max(N, 9); i++) {
    // Alternating who goes first, so a slow second of the machine is shared.
    const first = i % 2 === 0;
    const a = first ? await imageRun(mpConfig, cache) : undefined;
    const p = await peerRun(peer);
    const b = a ?? (await imageRun(mpConfig, cache));
    mp.push(b.ms);
    peaksKiB.push(b.rssKiB);
    other.push(p);
    ratios.push(b.ms / p);
  }
  return { mp, other, ratios };
}

/**
 * The immediate path's two routes (also bench/research/run-timeline.ts): SMTP into the immediate
 * submission, and a fake Brevo of this process relaying into the immediate smtpd. close() stops the fake.
 */
export async function immediateRoutes(prefix: string): Promise<{ smtpCfg: string; brevoCfg: string; brevoUrl: string; close: () => void }> {
  const fake = createFakeBrevo({ relayPort: port.smtpImmediate });
  await new Promise<void>((r) => fake.server.listen(0, addr.listen, r));
  const brevoUrl = `http://${addr.listen}:${(fake.server.address() as AddressInfo).port}/v3`;
  const smtpCfg = smtpConfig(`${prefix}_smtp`, (p) => (p.sender = labSmtpSender(port.submissionImmediate, { login: true })));
  const brevoCfg = brevoConfig(`${prefix}_brevo`, (p) => {
    p.sender.baseUrl = brevoUrl;
    delete p.sender.authResults; // no milter on this path: nobody writes Authentication-Results
    p.to = "probe@lab.test";
    p.paths = [{ name: "internal", host: addr.listen, port: port.imapsStock }];
    delete p.received;
    delete p.relayCheck;
  });
  return { smtpCfg, brevoCfg, brevoUrl, close: () => fake.close() };
}

export async function immediate(report: Report): Promise<void> {
  const cache = mkdtempSync(join(tmpdir(), "mailprobe-cc-"));
  const { smtpCfg, brevoCfg, brevoUrl, close } = await immediateRoutes("bench_imm");
  const peaksKiB: number[] = [];
  try {
    const smtp = await pairs(smtpCfg, cache, { wait: 0.1, interval: 1, via: "smtp", submissionPort: port.submissionImmediate }, peaksKiB);
    const viaBrevo = await pairs(brevoCfg, cache, { wait: 0.1, interval: 1, via: "brevo", brevoUrl }, peaksKiB);
    const row = (route: string, x: typeof smtp, target: string) => [
      route,
      `${ms(median(x.mp))} (p90 ${ms(quantile(x.mp, 0.9))})`,
      `${ms(median(x.other))} (p90 ${ms(quantile(x.other, 0.9))})`,
      `${(median(x.mp) / median(x.other)).toFixed(2)}×`,
      `${median(x.ratios).toFixed(2)}×`,
      target,
    ];
    const mib = (k: number) => `${(k / 1024).toFixed(1)} MiB`;
    report.add("1a. Whole run, immediate delivery (issue 23)", [
      `Postfix listeners without the milter (no filter delay), one path (the stock IMAPS of probe@lab.test); ${Math.max(N, 9)} alternating pairs per route (who goes first alternates). mailprobe: \`node ${imageFlags.join(" ")} dist/bundle/mailprobe.js run --json\` on Node 24 with a warm compile cache (as the image runs it). The peer: check_email_delivery \`--wait 0.1 --imap-check-interval 1\`, submitting to the same listener (SMTP) or posting with curl to the same fake Brevo (Brevo).`,
      "",
      ...table(
        ["route", "mailprobe wall", "peer wall", "median ÷ median", "median of pair ratios", "target"],
        [row("SMTP submission", smtp, "≤ 1.0×"), row("fake Brevo API", viaBrevo, "≤ 1.5×")],
      ),
      "",
      `Peak RSS of these mailprobe runs (GNU time): median ${mib(median(peaksKiB))}, max ${mib(Math.max(...peaksKiB))} (target < 64 MiB).`,
    ]);
  } finally {
    close();
    rmSync(cache, { recursive: true, force: true });
  }
}
