// Research for issue 14 (not part of `npm run bench`): run with the lab up,
//   node --import tsx bench/research/imap-timing.ts [idle] [status] [lookback]
// idle:     how late EXISTS arrives over IDLE after delivery, vs a NOOP poll every 20 ms (same session kind).
// status:   cost of STATUS Junk on the selected-INBOX session vs NOOP vs a second session polling Junk:
//           commands per second and the CPU of this lab's Dovecot processes.
// lookback: UID FETCH of the token header over [UIDNEXT-W, UIDNEXT) at 0, 10,000 and 100,000 messages,
//           against a mailbox-sized UID SEARCH HEADER.
import { readFileSync, readdirSync } from "node:fs";
import { ImapFlow } from "imapflow";
import nodemailer from "nodemailer";
import { addr, mx, paths, port } from "../../test/lab/topology.js";
import { accounts, median, quantile } from "../lib.js";
import { watchStores } from "../roundtrip.js";
import { fill, index, maildir } from "../scale.js";
import { rmSync } from "node:fs";

const N = Number(process.env.BENCH_N ?? 10);
const client = (account: { user: string; password: string } = accounts.probe) =>
  new ImapFlow({
    host: addr.listen,
    port: port.imapsStock,
    secure: true,
    tls: { ca: readFileSync(paths.caCert), servername: mx.hostname },
    auth: { user: account.user, pass: account.password },
    logger: false,
  });
const smtp = nodemailer.createTransport({
  host: addr.listen,
  port: port.smtpStock,
  secure: false,
  tls: { ca: readFileSync(paths.caCert), servername: mx.hostname },
});
const deliver = async (token: string, to: string = accounts.probe.user) => {
  await smtp.sendMail({ from: "bench@lab.test", to, subject: `idle ${token}`, text: "x", headers: { "X-Mailprobe-Token": token } });
  return Date.now();
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f = (xs: number[]) =>
  `median ${Math.round(median(xs))} ms, p90 ${Math.round(quantile(xs, 0.9))} ms, max ${Math.round(Math.max(...xs))} ms (n=${xs.length})`;

/** utime+stime (ms) of every descendant of this lab's Dovecot master. */
function dovecotCpuMs(): number {
  const master = Number(readFileSync(`${paths.run}/dovecot/master.pid`, "utf8"));
  const procs = new Map<number, { ppid: number; cpu: number }>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, "utf8");
      const rest = st.slice(st.lastIndexOf(")") + 2).split(" ");
      procs.set(Number(d), { ppid: Number(rest[1]), cpu: Number(rest[11]) + Number(rest[12]) });
    } catch {
      /* gone */
    }
  }
  let ticks = 0;
  for (const [pid, p] of procs) {
    for (let q = pid, hops = 0; q > 1 && hops < 5; q = procs.get(q)?.ppid ?? 0, hops++) {
      if (q === master) {
        ticks += p.cpu;
        break;
      }
    }
  }
  return ticks * 10; // USER_HZ = 100
}

async function idle(): Promise<void> {
  const w = watchStores();
  const idleLag: number[] = [];
  const idleAfterStore: number[] = [];
  const noopLag: number[] = [];
  const noopAfterStore: number[] = [];
  try {
    for (const mode of ["idle", "noop"] as const) {
      const c = client();
      await c.connect();
      await c.mailboxOpen("INBOX");
      for (let i = 0; i < N; i++) {
        const token = `idle-${mode}-${Date.now()}-${i}`;
        let seen = 0;
        const got = new Promise<void>((resolve) =>
          c.once("exists", () => {
            seen = Date.now();
            resolve();
          }),
        );
        let stop = false;
        let idling: Promise<unknown> | undefined;
        if (mode === "idle") idling = c.idle();
        else
          void (async () => {
            while (!stop) {
              await c.noop();
              await sleep(20);
            }
          })();
        await sleep(300);
        const accepted = await deliver(token);
        await got;
        stop = true;
        const stored = w.stored.get(token);
        (mode === "idle" ? idleLag : noopLag).push(seen - accepted);
        if (stored) (mode === "idle" ? idleAfterStore : noopAfterStore).push(seen - stored);
        if (idling) {
          await c.noop(); // breaks IDLE
          await idling.catch(() => undefined);
        }
        await sleep(50);
        await c.messageDelete({ header: { "x-mailprobe-token": token } }).catch(() => undefined);
      }
      await c.logout();
    }
  } finally {
    w.close();
  }
  console.log(`IDLE: EXISTS after SMTP 250: ${f(idleLag)}; after Dovecot stored it: ${f(idleAfterStore)}`);
  console.log(`NOOP every 20 ms: EXISTS after SMTP 250: ${f(noopLag)}; after Dovecot stored it: ${f(noopAfterStore)}`);
}

async function status(): Promise<void> {
  const SECONDS = 5;
  const rows: string[] = [];
  /** `step` resolves to the number of IMAP commands it sent. */
  async function loop(label: string, setup: () => Promise<{ step: () => Promise<number>; close: () => Promise<void> }>, pauseMs: number) {
    const s = await setup();
    const cpu0 = dovecotCpuMs();
    const t0 = performance.now();
    let n = 0;
    const lat: number[] = [];
    while (performance.now() - t0 < SECONDS * 1000) {
      const a = performance.now();
      n += await s.step();
      lat.push(performance.now() - a);
      if (pauseMs) await sleep(pauseMs);
    }
    const el = (performance.now() - t0) / 1000;
    const cpu = dovecotCpuMs() - cpu0;
    await s.close();
    rows.push(
      `${label.padEnd(78)} ${(n / el).toFixed(0).padStart(5)} cmd/s  step latency median ${median(lat).toFixed(2)} ms p90 ${quantile(lat, 0.9).toFixed(2)} ms  Dovecot CPU ${(cpu / el).toFixed(0)} ms/s = ${((cpu / n) * 1000).toFixed(0)} µs/cmd`,
    );
  }
  const one = async () => {
    const c = client();
    await c.connect();
    await c.mailboxOpen("INBOX");
    return c;
  };
  await loop(
    "NOOP on the INBOX session, back to back",
    async () => {
      const c = await one();
      return { step: () => c.noop().then(() => 1), close: () => c.logout() };
    },
    0,
  );
  await loop(
    "STATUS Junk (MESSAGES UIDNEXT) on the INBOX session, back to back",
    async () => {
      const c = await one();
      return { step: () => c.status("Junk", { messages: true, uidNext: true }).then(() => 1), close: () => c.logout() };
    },
    0,
  );
  await loop(
    "NOOP on a second session with Junk selected, back to back",
    async () => {
      const c = client();
      await c.connect();
      await c.mailboxOpen("Junk");
      return { step: () => c.noop().then(() => 1), close: () => c.logout() };
    },
    0,
  );
  await loop(
    "poll pattern: NOOP every 20 ms (today's fast poll), no Junk check",
    async () => {
      const c = await one();
      return { step: () => c.noop().then(() => 1), close: () => c.logout() };
    },
    20,
  );
  for (const every of [1, 10, 25]) {
    await loop(
      `poll pattern: NOOP every 20 ms + STATUS Junk every ${every} poll(s)`,
      async () => {
        const c = await one();
        let i = 0;
        return {
          step: async () => {
            await c.noop();
            if (++i % every !== 0) return 1;
            await c.status("Junk", { messages: true, uidNext: true });
            return 2;
          },
          close: () => c.logout(),
        };
      },
      20,
    );
  }
  await loop(
    "poll pattern: NOOP every 20 ms on INBOX + a 2nd session NOOP on Junk every 20 ms",
    async () => {
      const c = await one();
      const j = client();
      await j.connect();
      await j.mailboxOpen("Junk");
      return { step: () => Promise.all([c.noop(), j.noop()]).then(() => 2), close: async () => void (await Promise.all([c.logout(), j.logout()])) };
    },
    20,
  );
  console.log(rows.join("\n"));
}

async function lookback(): Promise<void> {
  rmSync(maildir, { recursive: true, force: true });
  fill(0, 0);
  let have = 0;
  for (const size of [0, 10_000, 100_000]) {
    fill(have, size);
    have = size;
    await index();
    // One fresh message at the top, as the probe's would be.
    const token = `lookback-${Date.now()}`;
    await deliver(token, accounts.other.user);
    await sleep(300);
    const c = client(accounts.other);
    await c.connect();
    const box = await c.mailboxOpen("INBOX");
    const uidNext = Number(box.uidNext);
    const parts: string[] = [];
    for (const W of [16, 64, 256]) {
      const t: number[] = [];
      let found = 0;
      for (let i = 0; i < N; i++) {
        const a = performance.now();
        for await (const m of c.fetch(`${Math.max(1, uidNext - W)}:${uidNext - 1}`, { uid: true, headers: ["x-mailprobe-token"] }, { uid: true })) {
          if (m.headers?.toString().includes(token)) found++;
        }
        t.push(performance.now() - a);
      }
      parts.push(`W=${W}: ${median(t).toFixed(2)} ms${found === N ? "" : ` (found ${found}/${N})`}`);
    }
    const s: number[] = [];
    for (let i = 0; i < Math.min(N, 5); i++) {
      const a = performance.now();
      await c.search({ header: { "x-mailprobe-token": token } }, { uid: true });
      s.push(performance.now() - a);
    }
    const r: number[] = [];
    let hits = 0;
    for (let i = 0; i < N; i++) {
      const a = performance.now();
      const got = await c.search({ uid: `${Math.max(1, uidNext - 64)}:*`, header: { "x-mailprobe-token": token } }, { uid: true });
      r.push(performance.now() - a);
      if (got && got.length === 1) hits++;
    }
    console.log(
      `${size.toLocaleString("en").padStart(7)} messages: UID FETCH token header ${parts.join(", ")}; UID SEARCH UID (UIDNEXT-64):* HEADER: ${median(r).toFixed(2)} ms${hits === N ? "" : ` (found ${hits}/${N})`}; mailbox-wide UID SEARCH HEADER: ${median(s).toFixed(1)} ms`,
    );
    await c.messageDelete({ header: { "x-mailprobe-token": token } }, { uid: true });
    await c.logout();
  }
  rmSync(maildir, { recursive: true, force: true });
}

const want = process.argv.slice(2);
for (const [name, fn] of Object.entries({ idle, status, lookback })) if (!want.length || want.includes(name)) await fn();
smtp.close();
