// `mailprobe watch` against the lab: the PROXY switch flipped and back shows as transitions and as
// an outage in the summary, in pipe mode (JSON lines) and on a real terminal (tmux); the Brevo
// budget guard; Ctrl-C mid-cycle deletes the watch's own message and nothing else.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, test } from "node:test";
import { set } from "../lab/lab.js";
import { accounts, addr, port } from "../lab/topology.js";
import { cliPath, labConfig, labSmtpSender, runCli, sleep, startCli, waitUntil } from "../helpers/cli.js";
import { countWithToken, fakeBrevo, imapClient, smtpSend, uniqueToken } from "../helpers/lab.js";

after(() => set({ proxy: "ok" }));

const lines = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));
const fault = (body: object) => fakeBrevo("/__lab/fault", { method: "POST", body: JSON.stringify(body) });
const sentCount = async () => ((await (await fakeBrevo("/__lab/sent")).json()) as unknown[]).length;

const watchConfig = (name: string) =>
  labConfig((c) => {
    c.probes[0].name = name;
    c.probes[0].timeoutSeconds = 8;
  });

test("watch refuses an interval that would spend Brevo's credits within the hour, and sends nothing", async () => {
  await fakeBrevo("/__lab/reset", { method: "POST" });
  const before = await sentCount();
  const res = await runCli(["watch", "--config", watchConfig("w_budget"), "--every", "10s"]);
  assert.equal(res.code, 2, res.stderr);
  assert.match(res.stderr, /refused: --every 10s sends 360 mails an hour through Brevo, and the account has 300 credits left/);
  assert.match(res.stderr, /--every \(at least 13s\)|at least 13s/);
  assert.match(res.stderr, /--via smtp/);
  assert.equal(await sentCount(), before, "nothing sent");
  const bad = await runCli(["watch", "--config", watchConfig("w_budget"), "--every", "soon"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--every soon is not a duration/);
});

test("watch (pipe mode): PROXY lost and restored → two transitions, the outage in the summary", async () => {
  const proc = startCli(["watch", "--config", watchConfig("w_pipe"), "--every", "2s", "--force"]);
  try {
    const cycles = () => lines(proc.out()).filter((e) => e.event === "cycle");
    await waitUntil("two healthy cycles", async () => (cycles().filter((e) => e.ok).length >= 2 ? true : undefined));
    // Switch between cycles (HAProxy restarts; a cycle in flight would see a dropped session instead).
    const betweenCycles = async () => {
      const n = cycles().length;
      await waitUntil("the next cycle", async () => (cycles().length > n ? true : undefined));
    };
    await betweenCycles();
    await set({ proxy: "broken" });
    await waitUntil("a cycle with the IP forbidden", async () =>
      cycles().some((e) => e.paths.some((p: any) => p.name === "external" && p.reason === "real_ip_forbidden")) ? true : undefined,
    );
    const down = lines(proc.out()).find((e) => e.event === "transition" && e.path === "external");
    assert.equal(down.from, "OK");
    assert.equal(down.to, "FAIL");
    assert.match(down.text, /^external: OK → FAIL real_ip_forbidden 127\.0\.0\.9 in 127\.0\.0\.9\/32$/);
    await betweenCycles();
    await set({ proxy: "ok" });
    const upAgain = await waitUntil("the OK transition", async () =>
      lines(proc.out()).find((e) => e.event === "transition" && e.path === "external" && e.to === "OK"),
    );
    assert.equal(upAgain.from, "FAIL");
    proc.child.kill("SIGINT");
    const exit = await proc.exited;
    assert.equal(exit.code, 0, "the last complete cycle was healthy");
    const summary = lines(proc.out()).find((e) => e.event === "summary");
    const ext = summary.paths.find((p: any) => p.label === "external");
    assert.ok(ext.runs >= 4, JSON.stringify(ext));
    assert.ok(ext.availabilityPercent < 100 && ext.availabilityPercent > 0, JSON.stringify(ext));
    assert.equal(ext.outages.length, 1, JSON.stringify(ext.outages));
    assert.ok(ext.outages[0].to && ext.outages[0].seconds > 0);
    assert.ok(ext.roundtripSeconds.p50 > 0 && ext.roundtripSeconds.p95 >= ext.roundtripSeconds.p50 && ext.roundtripSeconds.max >= ext.roundtripSeconds.p95);
    assert.ok(summary.brevo.sends >= 4 && summary.brevo.credits < 300, JSON.stringify(summary.brevo));
    assert.doesNotMatch(proc.err(), /unhandled|internal error/i);
    for (const c of cycles()) assert.equal(await countWithToken(c.token), 0, `cycle ${c.cycle}'s message deleted`);
  } finally {
    proc.child.kill("SIGKILL");
    await set({ proxy: "ok" });
  }
});

test("watch (terminal, tmux): live rows, the transition lines, Ctrl-C prints the summary with the outage", async () => {
  const sock = `mailprobe-test-${process.pid}`;
  const tmux = (...args: string[]) => execFileSync("tmux", ["-L", sock, ...args], { encoding: "utf8" });
  const screen = () => tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", "w");
  const cmd = `NO_COLOR=1 '${process.execPath}' '${cliPath}' watch --config '${watchConfig("w_tty")}' --every 2s --force; echo "EXIT=$?"; sleep 120`;
  // tmux would push a fully cleared screen into its history; a terminal emulator does not.
  tmux("-f", "/dev/null", "start-server", ";", "set-option", "-g", "scroll-on-clear", "off", ";", "new-session", "-d", "-s", "w", "-x", "200", "-y", "50", cmd);
  try {
    await waitUntil("two healthy cycles on screen", async () => (/external\s+OK\s+[\d.]+ s\s+127\.0\.0\.42\s+[2-9]/.test(screen()) ? true : undefined));
    assert.match(screen(), /PATH\s+STATE\s+ROUNDTRIP\s+CLIENT IP\s+STREAK\s+SINCE\s+VERDICT/);
    assert.match(screen(), /brevo: \d+ sent, \d+ credits left/);
    const idle = () => waitUntil("a pause between cycles", async () => (/cycle \d+ next in [1-9]s/.test(screen()) ? true : undefined));
    await idle();
    await set({ proxy: "broken" });
    await waitUntil("the FAIL line", async () =>
      /\d\d:\d\d:\d\d external: OK → FAIL real_ip_forbidden 127\.0\.0\.9 in 127\.0\.0\.9\/32/.test(screen()) ? true : undefined,
    );
    assert.match(screen(), /external\s+FAIL\s+/);
    await idle();
    await set({ proxy: "ok" });
    await waitUntil("the OK line", async () => (/\d\d:\d\d:\d\d external: FAIL → OK ok 127\.0\.0\.42/.test(screen()) ? true : undefined));
    await sleep(500);
    tmux("send-keys", "-t", "w", "C-c");
    const final = await waitUntil("the summary", async () => (/EXIT=\d/.test(screen()) ? screen() : undefined));
    assert.match(final, /watch summary: \d+ cycles in/);
    assert.match(final, /PATH\s+RUNS\s+AVAILABILITY\s+P50\s+P95\s+MAX\s+OUTAGES/);
    assert.match(final, /external\s+\d+\s+\d+\.\d %\s+[\d.]+ s\s+[\d.]+ s\s+[\d.]+ s\s+1\b/);
    assert.match(final, /external outage \d\d:\d\d:\d\d → \d\d:\d\d:\d\d \([\d.]+ s\): real_ip_forbidden 127\.0\.0\.9 in 127\.0\.0\.9\/32/);
    assert.match(final, /brevo: \d+ mails sent by this watch, \d+ credits left/);
    // The live block is redrawn in place: its header appears once, not once per cycle.
    assert.equal((final.match(/^mailprobe watch {3}every/gm) ?? []).length, 1, final);
    assert.doesNotMatch(final, /unhandled|internal error|"level"/i);
  } finally {
    try {
      tmux("kill-server");
    } catch {
      /* already gone */
    }
    await set({ proxy: "ok" });
  }
});

test("watch: Ctrl-C mid-cycle deletes its own landed message and not one foreign message", async () => {
  // Foreign messages that look like the probe's: its subject shape, its sender, its header.
  const marker = uniqueToken();
  await smtpSend({
    port: port.smtpStock,
    from: "probe@sender.lab.test",
    subject: `mailprobe mp1.abc.def.ghi ${marker}`,
    headers: { "X-Mailprobe-Token": `mp1.zz.${marker}.forged` },
  });
  await smtpSend({ port: port.smtpStock, subject: `mailprobe ${marker} plain` });
  const foreign = async () => {
    const c = imapClient(port.imapsStock);
    await c.connect();
    try {
      await c.mailboxOpen("INBOX");
      return ((await c.search({ subject: marker }, { uid: true })) || []).length;
    } finally {
      await c.logout();
    }
  };
  await waitUntil("foreign messages stored", async () => ((await foreign()) === 2 ? true : undefined));
  await fault({ mode: "late", delayMs: 800 });
  const cfg = labConfig((c) => {
    c.probes[0].name = "w_sigint";
    c.probes[0].timeoutSeconds = 30;
    c.probes[0].imap.pollIntervalMs = 20_000;
    c.probes[0].imap.fastPollSeconds = 60;
  });
  const proc = startCli(["watch", "--config", cfg, "--every", "1m", "--force"]);
  try {
    await waitUntil("the start line", async () => lines(proc.out()).find((e) => e.event === "start"));
    await sleep(3000);
    proc.child.kill("SIGINT");
    const exit = await proc.exited;
    assert.equal(exit.code, 1, "no complete cycle");
    const ev = lines(proc.out());
    const cycle = ev.find((e) => e.event === "cycle");
    assert.equal(cycle.aborted, true);
    assert.equal(cycle.cleanup.deleted, 1, JSON.stringify(cycle.cleanup));
    assert.equal(await countWithToken(cycle.token), 0);
    assert.equal(ev.find((e) => e.event === "summary").cycles, 0);
    assert.equal(await foreign(), 2, "foreign messages untouched");
  } finally {
    proc.child.kill("SIGKILL");
    await fault({ mode: "none" });
  }
});

test("watch --via smtp: the probe's watchSender route, no Brevo budget; without one, exit 2 naming the field", async () => {
  const before = await sentCount();
  const cfg = labConfig((c) => {
    c.probes[0].name = "w_via";
    c.probes[0].timeoutSeconds = 8;
    // Submission with SASL into the probe mailbox; the Received rules then see 127.0.0.1.
    c.probes[0].watchSender = labSmtpSender(port.submissionStock, { login: true });
    c.probes[0].to = accounts.probe.user;
    delete c.probes[0].received;
    // The Brevo route's authResults need received.mxHosts to locate the MX's header.
    delete c.probes[0].sender.authResults;
  });
  const res = await runCli(["watch", "--config", cfg, "--via", "smtp", "--every", "1s", "--count", "2"]);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  const ev = lines(res.stdout);
  assert.equal(ev.find((e) => e.event === "start").probes[0].sender, "smtp");
  const cycles = ev.filter((e) => e.event === "cycle");
  assert.equal(cycles.length, 2);
  assert.ok(
    cycles.every((c) => c.ok && c.send.type === "smtp" && c.brevo === undefined),
    JSON.stringify(cycles),
  );
  assert.equal(await sentCount(), before, "nothing went through Brevo");
  assert.ok(!res.stdout.includes(accounts.probe.password) && !res.stderr.includes(accounts.probe.password));

  const none = await runCli(["watch", "--config", watchConfig("w_via_none"), "--via", "smtp", "--count", "1"]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /probe w_via_none has no smtp route: add probes\[\]\.watchSender with type: smtp/);
});
