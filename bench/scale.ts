// 3. Mailbox size: an empty INBOX vs 10,000 and 100,000 messages (a Maildir written directly, then
//    indexed once by Dovecot before timing). 4. Paths: one probe with 1 path vs 20 paths.
import { chownSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { ImapFlow } from "imapflow";
import { set } from "../test/lab/lab.js";
import { LAB_DIR } from "../test/lab/topology.js";
import { accounts, addr, brevoConfig, mailprobeRun, median, ms, N, paths, peerRun, port, ratio, Report, table } from "./lib.js";

const MAIL_UID = 65534;
export const maildir = join(LAB_DIR, "mail", "lab.test", "other", "Maildir");

/** Adds messages to other@lab.test's INBOX: files in cur/, dated over the past year. */
export function fill(from: number, to: number): void {
  for (const d of ["cur", "new", "tmp"]) {
    mkdirSync(join(maildir, d), { recursive: true });
    chownSync(join(maildir, d), MAIL_UID, MAIL_UID);
  }
  // Every directory mkdir created (the domain's too) belongs to the mail user, as Dovecot's would.
  for (let d = maildir; d.startsWith(join(LAB_DIR, "mail", "lab.test")); d = dirname(d)) chownSync(d, MAIL_UID, MAIL_UID);
  const now = Date.now() / 1000;
  for (let i = from; i < to; i++) {
    const when = now - ((i * 7919) % 365) * 86400 - (i % 86400);
    const body = `From: someone${i % 97}@example.org\r\nTo: other@lab.test\r\nSubject: archived message ${i}\r\nDate: ${new Date(when * 1000).toUTCString()}\r\nMessage-ID: <fill-${i}@example.org>\r\n\r\nfiller ${i}\r\n`;
    const file = join(maildir, "cur", `${Math.floor(when)}.M${i}P1.lab,S=${body.length}:2,S`);
    writeFileSync(file, body);
    chownSync(file, MAIL_UID, MAIL_UID);
    utimesSync(file, when, when);
  }
}

/** Connect, login, SELECT, logout: what any IMAP client pays for this mailbox (and the indexing run). */
export async function index(p: number = port.imapsStock, account: { user: string; password: string } = accounts.other): Promise<number> {
  const t0 = performance.now();
  const c = new ImapFlow({
    host: addr.listen,
    port: p,
    secure: true,
    tls: { ca: readFileSync(paths.caCert), servername: "mx.lab.test" },
    auth: { user: account.user, pass: account.password },
    logger: false,
  });
  await c.connect();
  const box = await c.mailboxOpen("INBOX");
  await c.logout();
  if (box.exists < 0) throw new Error("no mailbox");
  return performance.now() - t0;
}

export async function mailboxSize(report: Report): Promise<void> {
  rmSync(maildir, { recursive: true, force: true });
  fill(0, 0);
  const cfg = brevoConfig("bench_size", (p) => {
    p.to = accounts.other.user;
    p.imap.user = accounts.other.user;
    p.imap.password = accounts.other.password;
    p.paths = p.paths.filter((x: any) => x.name === "internal");
  });
  const rows: (string | number)[][] = [];
  let base = { wall: 0, run: 0, select: 0, peer: 0 };
  let have = 0;
  for (const size of [0, 10_000, 100_000]) {
    const t0 = performance.now();
    fill(have, size);
    const fillMs = performance.now() - t0;
    have = size;
    const indexMs = await index();
    await mailprobeRun(cfg);
    const wall: number[] = [];
    const run: number[] = [];
    const select: number[] = [];
    const peer: number[] = [];
    for (let i = 0; i < N; i++) {
      const r = await mailprobeRun(cfg);
      wall.push(r.ms);
      run.push(r.json.probes[0].durationSeconds * 1000);
      // The same mailbox, right after a delivery and a delete, as the next run finds it.
      select.push(await index());
      peer.push(await peerRun({ wait: 0.1, interval: 1, via: "brevo", account: accounts.other }));
    }
    if (size === 0) base = { wall: median(wall), run: median(run), select: median(select), peer: median(peer) };
    rows.push([
      size.toLocaleString("en"),
      ms(median(wall)),
      ms(median(run)),
      ms(median(select)),
      ms(median(peer)),
      ratio(median(wall), base.wall),
      ratio(median(run), base.run),
      ratio(median(select), base.select),
      ratio(median(peer), base.peer),
      size ? `fill ${ms(fillMs)}, first SELECT ${ms(indexMs)}` : "",
    ]);
  }
  rmSync(maildir, { recursive: true, force: true });
  report.add("3. Mailbox size", [
    `${N} runs per size, the Brevo route into other@lab.test, one path (stock IMAPS). "run" is the probe's own duration (open, send, wait, check, delete, stale sweep); "wall" adds the process start. "bare SELECT" is a plain client's connect + login + SELECT + logout on the same mailbox after each run (what any client pays); "peer" is check_email_delivery (curl to the fake Brevo, --wait 0.1 --imap-check-interval 1) on the same mailbox.`,
    "",
    ...table(
      ["messages in INBOX", "wall", "run", "bare SELECT", "peer", "wall ÷ empty", "run ÷ empty", "bare SELECT ÷ empty", "peer ÷ empty", "setup (not timed)"],
      rows,
    ),
  ]);
}

export async function manyPaths(report: Report): Promise<void> {
  await set({ extraImapsFrontends: 19 });
  try {
    const one = brevoConfig("bench_paths1", (p) => (p.paths = p.paths.filter((x: any) => x.name === "external")));
    const twenty = brevoConfig("bench_paths20", (p, c) => {
      // One login at one host on 20 paths: the session cap must allow all 20 at once (it is per login and host, not port).
      c.imapSessionsPerUser = 20;
      p.paths = [
        p.paths.find((x: any) => x.name === "external"),
        ...Array.from({ length: 19 }, (_, i) => ({ name: `extra${i + 1}`, host: addr.listen, port: port.extImapsExtraFirst + i })),
      ];
    });
    await mailprobeRun(one);
    await mailprobeRun(twenty);
    const r: Record<string, { wall: number[]; run: number[]; rt: number[]; bare: number[] }> = {
      one: { wall: [], run: [], rt: [], bare: [] },
      twenty: { wall: [], run: [], rt: [], bare: [] },
    };
    const ports = [port.extImaps, ...Array.from({ length: 19 }, (_, i) => port.extImapsExtraFirst + i)];
    for (let i = 0; i < N; i++) {
      // What any client pays to open the same sessions at once: connect, TLS, login, SELECT, logout.
      r.one!.bare.push(await index(port.extImaps, accounts.probe));
      const t0 = performance.now();
      await Promise.all(ports.map((p) => index(p, accounts.probe)));
      r.twenty!.bare.push(performance.now() - t0);
      for (const [k, cfg] of [
        ["one", one],
        ["twenty", twenty],
      ] as const) {
        const x = await mailprobeRun(cfg);
        r[k]!.wall.push(x.ms);
        r[k]!.run.push(x.json.probes[0].durationSeconds * 1000);
        r[k]!.rt.push(Math.max(...x.json.probes[0].paths.map((p: any) => p.roundtripSeconds * 1000)));
      }
    }
    report.add("4. Paths", [
      `One probe through HAProxy's public IMAPS: 1 path vs 20 paths (19 extra HAProxy frontends to the same mailbox; \`imapSessionsPerUser: 20\` so all open at once), ${N} alternating runs. "bare parallel open" is a plain client opening the same 1 or 20 sessions at once (connect, TLS, login, SELECT, logout): Dovecot starts a login and an imap process per session.`,
      "",
      ...table(
        [
          "paths",
          "wall median",
          "run median",
          "slowest path's roundtrip",
          "bare parallel open",
          "wall ÷ 1 path",
          "run ÷ 1 path",
          "bare open ÷ 1 session",
          "run − bare open",
        ],
        [
          [
            "1",
            ms(median(r.one!.wall)),
            ms(median(r.one!.run)),
            ms(median(r.one!.rt)),
            ms(median(r.one!.bare)),
            "1.00×",
            "1.00×",
            "1.00×",
            ms(median(r.one!.run) - median(r.one!.bare)),
          ],
          [
            "20",
            ms(median(r.twenty!.wall)),
            ms(median(r.twenty!.run)),
            ms(median(r.twenty!.rt)),
            ms(median(r.twenty!.bare)),
            ratio(median(r.twenty!.wall), median(r.one!.wall)),
            ratio(median(r.twenty!.run), median(r.one!.run)),
            ratio(median(r.twenty!.bare), median(r.one!.bare)),
            ms(median(r.twenty!.run) - median(r.twenty!.bare)),
          ],
        ],
      ),
    ]);
  } finally {
    await set({ extraImapsFrontends: 0 });
  }
}
