// `mailprobe run` end to end against the real lab (Postfix, Dovecot, HAProxy, Pushgateway, Uptime Kuma, the fake Brevo).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { newToken, tokenKey } from "../../src/core/token.js";
import { readFileSync } from "node:fs";
import { accounts, addr, brevo, labTokenKey, paths, port } from "../lab/topology.js";
import { labConfig, labSmtpSender, runCli } from "../helpers/cli.js";
import { countWithToken, fakeBrevo, imapClient, withLab } from "../helpers/lab.js";
import { kumaBeats, lastBeatId, type KumaBeat } from "../lab/kuma.js";

async function gatewayMetrics(): Promise<string> {
  return (await fetch(`http://${addr.listen}:${port.pushgateway}/metrics`)).text();
}

function metric(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    const inside = line.slice(name.length + 1, line.lastIndexOf("}"));
    if (Object.entries(labels).every(([k, v]) => inside.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

/** What the lab's real Uptime Kuma recorded since `mark`, per monitor of the lab config. */
const KUMA_TOKENS = { probe: "labprobe", external: "labexternal", internal: "labinternal" } as const;
function kumaRecorded(mark: number): Record<keyof typeof KUMA_TOKENS, KumaBeat[]> {
  return {
    probe: kumaBeats(KUMA_TOKENS.probe, mark),
    external: kumaBeats(KUMA_TOKENS.external, mark),
    internal: kumaBeats(KUMA_TOKENS.internal, mark),
  };
}

test("healthy run, then PROXY broken: verdicts, exit codes, Pushgateway and Kuma", async () => {
  const cfg = labConfig((c) => (c.probes[0].name = "e2e_run"));
  let mark = lastBeatId();

  const healthy = await runCli(["run", "--config", cfg, "--json"]);
  assert.equal(healthy.code, 0, healthy.stderr);
  const r = healthy.json.probes[0];
  assert.equal(healthy.json.ok, true);
  assert.deepEqual(
    r.paths.map((p: any) => [p.name, p.ok, p.ip.ip]),
    [
      ["external", true, addr.brevoRelay],
      ["internal", true, addr.brevoRelay],
    ],
  );
  for (const p of r.paths) assert.ok(p.roundtripSeconds > 0 && p.roundtripSeconds < 20);
  assert.match(r.send.messageId, /^<.+@.+>$/);
  assert.equal(r.cleanup.deleted, 1);
  assert.equal(await countWithToken(r.token), 0, "the probe message must be gone");

  let m = await gatewayMetrics();
  assert.equal(metric(m, "mailprobe_success", { probe: "e2e_run", path: "external" }), 1);
  assert.equal(metric(m, "mailprobe_success", { probe: "e2e_run", path: "internal" }), 1);
  assert.equal(metric(m, "mailprobe_run_success", { probe: "e2e_run" }), 1);
  assert.equal(metric(m, "mailprobe_real_client_ip_ok", { probe: "e2e_run" }), 1);
  assert.ok(metric(m, "mailprobe_roundtrip_seconds", { probe: "e2e_run", path: "external" })! > 0);
  assert.ok(metric(m, "mailprobe_send_seconds", { probe: "e2e_run" })! > 0);
  assert.equal(metric(m, "mailprobe_failure_reason", { probe: "e2e_run", path: "external", reason: "real_ip_forbidden" }), 0);
  assert.ok(metric(m, "mailprobe_tls_cert_expiry_timestamp_seconds", { probe: "e2e_run", path: "external" })! > Date.now() / 1000);
  assert.ok(metric(m, "mailprobe_build_info", { job: "mailprobe" }) === 1);
  const lastSuccess = metric(m, "mailprobe_last_success_timestamp_seconds", { probe: "e2e_run", path: "external" });
  assert.ok(lastSuccess && Math.abs(lastSuccess - Date.now() / 1000) < 60);

  // Kuma recorded one up beat per monitor; its ping is the roundtrip in whole milliseconds (the
  // probe's: the slowest path's), its msg the verdict line.
  let beats = kumaRecorded(mark);
  const ms = (p: any) => Math.round(p.roundtripSeconds * 1000);
  const [rExt, rInt] = r.paths;
  assert.deepEqual(
    Object.values(beats).map((b) => b.map((x) => [x.status, x.ping])),
    [[[1, Math.max(ms(rExt), ms(rInt))]], [[1, ms(rExt)]], [[1, ms(rInt)]]],
    JSON.stringify(beats),
  );
  assert.match(beats.external[0]!.msg ?? "", /^OK \d+\.\d\d s, client 127\.0\.0\.42/);
  assert.match(beats.probe[0]!.msg ?? "", /^OK external \d+\.\d\d s, internal \d+\.\d\d s/);

  mark = lastBeatId();
  const broken = await withLab({ proxy: "broken" }, () => runCli(["run", "--config", cfg, "--json"]));
  assert.equal(broken.code, 1);
  const b = broken.json.probes[0];
  assert.equal(b.reason, "real_ip_forbidden");
  const ext = b.paths.find((p: any) => p.name === "external");
  assert.equal(ext.ip.ip, addr.snat);
  assert.equal(ext.ip.rule, `forbiddenCidrs ${addr.snat}/32`);
  assert.match(ext.ip.header, /^Received: from .*\[127\.0\.0\.9\].* by mx\.lab\.test \(Postfix\)/);
  assert.equal(b.cleanup.deleted, 1);

  // Kuma recorded every monitor down, the reason in its msg.
  beats = kumaRecorded(mark);
  assert.deepEqual(
    Object.values(beats).map((b) => b.map((x) => x.status)),
    [[0], [0], [0]],
    JSON.stringify(beats),
  );
  assert.match(beats.external[0]!.msg ?? "", /^FAIL real_ip_forbidden: /);
  assert.match(beats.probe[0]!.msg ?? "", /^FAIL external real_ip_forbidden/);

  m = await gatewayMetrics();
  assert.equal(metric(m, "mailprobe_success", { probe: "e2e_run", path: "external" }), 0);
  assert.equal(metric(m, "mailprobe_real_client_ip_ok", { probe: "e2e_run" }), 0);
  assert.equal(metric(m, "mailprobe_failure_reason", { probe: "e2e_run", path: "external", reason: "real_ip_forbidden" }), 1);
  assert.equal(
    metric(m, "mailprobe_last_success_timestamp_seconds", { probe: "e2e_run", path: "external" }),
    lastSuccess,
    "last success survives a failing run",
  );

  const human = await runCli(["run", "--config", cfg]);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /^OK +probe e2e_run/m);
  assert.match(human.stdout, /external +OK +[\d.]+ s +127\.0\.0\.42/);
  // The mailboxes as the server resolved them (issue 19), in the human output as in the JSON.
  assert.match(human.stdout, /external: mailbox INBOX, junk Junk \(as the server names them\)/);
});

test("one path down: that path fails with imap_connect, the other is still OK, exit 1", async () => {
  const cfg = labConfig((c) => (c.probes[0].name = "e2e_pathdown"));
  const res = await withLab({ extImaps: "down" }, () => runCli(["run", "--config", cfg, "--json"]));
  assert.equal(res.code, 1, res.stderr);
  const [ext, int] = res.json.probes[0].paths;
  assert.equal(ext.ok, false);
  assert.equal(ext.reason, "imap_connect");
  assert.match(ext.detail, /ECONNREFUSED/);
  assert.equal(int.ok, true);
  assert.match(res.json.probes[0].pathSplit, /seen on internal; not on external \(imap_connect\)/);
  assert.equal(await countWithToken(res.json.probes[0].token), 0);
});

test("a mailbox holding other mail, mimics included, keeps every byte of it; a provably own stale message is swept", async () => {
  const probeName = "inbound";
  const key = tokenKey(labTokenKey);
  const old = new Date(Date.now() - 2 * 3600_000);
  const wellFormedForeign = newToken(tokenKey("someone-elses-key-0123456789abcdef"), old.getTime());
  const ownStale = newToken(key, old.getTime());
  const inFlight = newToken(key, old.getTime(), 86_400_000);
  const staleInJunk = newToken(key, old.getTime(), 60_000);
  const tag = `foreign-${Date.now()}`;
  const msg = (i: number, from: string, subject: string, extra = "") =>
    `From: ${from}\r\nTo: ${accounts.probe.user}\r\nSubject: ${subject}\r\nMessage-ID: <${tag}-${i}@lab.test>\r\nDate: ${old.toUTCString()}\r\n${extra}\r\nbody ${i}\r\n`;
  const foreign = [
    msg(1, "friend@example.org", "lunch?"),
    msg(2, "friend@example.org", `mailprobe inbound ${wellFormedForeign}`),
    msg(3, brevo.sender, `mailprobe inbound ${wellFormedForeign}`, `X-Mailprobe-Token: ${wellFormedForeign}\r\n`),
    msg(4, "spoof@example.org", `mailprobe inbound ${ownStale.replace(/.$/, "x")}`, `X-Mailprobe-Token: ${ownStale.replace(/.$/, "x")}\r\n`),
    msg(5, "friend@example.org", `mailprobe inbound ${ownStale}`, `X-Mailprobe-Token: ${ownStale}\r\n`),
    msg(6, brevo.sender, "mailprobe inbound mp1.notatoken", "X-Mailprobe-Token: mp1.notatoken\r\n"),
    // Issue 18, item 2: a reply written from the probe account (our sender, no token header, the
    // probe's subject inside its own): never the exact subject mailprobe wrote.
    msg(8, brevo.sender, `Re: mailprobe inbound ${ownStale}`),
    msg(9, brevo.sender, `Fwd: mailprobe inbound ${ownStale}`),
    // Issue 18, item 3: another probe's message under the same key, still in flight by its own
    // stale time (a day) although older than this probe's (60 s): the token says so itself.
    msg(10, brevo.sender, `mailprobe other ${inFlight}`, `X-Mailprobe-Token: ${inFlight}\r\n`),
  ];
  const stale = msg(7, brevo.sender, `mailprobe inbound ${ownStale}`, `X-Mailprobe-Token: ${ownStale}\r\n`);

  const c = imapClient(port.imapsStock);
  await c.connect();
  // Only the messages this test planted are judged: earlier runs on the lab may have left genuinely
  // own stale messages that the sweep rightly removes too.
  const digest = async (client = c) => {
    const out = new Map<string, string>();
    await client.mailboxOpen("INBOX");
    const uids = (await client.search({ header: { "message-id": tag } }, { uid: true })) || [];
    if (!uids.length) return out;
    for await (const m of client.fetch(uids.join(","), { uid: true, source: true }, { uid: true })) {
      out.set(String(m.uid), createHash("sha256").update(m.source!).digest("hex"));
    }
    return out;
  };
  try {
    for (const raw of foreign) await c.append("INBOX", raw, [], old);
    await c.append("INBOX", stale, [], old);
    // Issue 19, item 4: a probe message left in the junk mailbox is swept there too.
    if (!(await c.list()).some((b) => b.path === "Junk")) await c.mailboxCreate("Junk");
    const junkTag = `${tag}-junk@`;
    await c.append(
      "Junk",
      msg(11, brevo.sender, `mailprobe inbound ${staleInJunk}`, `X-Mailprobe-Token: ${staleInJunk}\r\n`).replace(`${tag}-11@`, junkTag),
      [],
      old,
    );
    const before = await digest();
    const staleUid = [...((await c.search({ header: { "message-id": `${tag}-7@` } }, { uid: true })) || [])];
    assert.equal(staleUid.length, 1);
    await c.logout();

    const cfg = labConfig((cfgObj) => (cfgObj.probes[0].cleanup.staleAfterSeconds = 60));
    const res = await runCli(["run", "--config", cfg, "--json"]);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(res.json.probes[0].cleanup.stale >= 1, "the provably own stale message is swept");

    const c2 = imapClient(port.imapsStock);
    await c2.connect();
    const after = await digest(c2);
    await c2.mailboxOpen("Junk");
    const junkLeft = (await c2.search({ header: { "message-id": junkTag } }, { uid: true })) || [];
    await c2.logout();
    const expected = new Map(before);
    expected.delete(String(staleUid[0]));
    assert.deepEqual(after, expected, "every other message is still there, byte for byte");
    assert.deepEqual(junkLeft, [], "the stale probe message in Junk is swept");
  } finally {
    c.close();
  }
});

test("a wrong config exits 2, names the field, and sends nothing", async () => {
  const sentBefore = ((await (await fakeBrevo("/__lab/sent")).json()) as unknown[]).length;
  const cfg = labConfig((c) => (c.probes[0].received.forbiddenCidrs = ["127.0.0.300/32"]));
  const res = await runCli(["run", "--config", cfg]);
  assert.equal(res.code, 2);
  assert.match(res.stderr, /probes\[0\]\.received\.forbiddenCidrs\[0\]: not a CIDR range \(e\.g\. forbiddenCidrs: \["10\.42\.0\.0\/16"/);
  const usage = await runCli(["frobnicate"]);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /unknown command frobnicate/);
  const sentAfter = ((await (await fakeBrevo("/__lab/sent")).json()) as unknown[]).length;
  assert.equal(sentAfter, sentBefore);
});

test("our own PROXY v2 header, bypassing HAProxy: alt SMTP (postscreen) and alt IMAPS honour the claimed address", async () => {
  const cfg = labConfig((c) => {
    const p = c.probes[0];
    p.name = "e2e_own_proxy";
    p.to = accounts.probe.user;
    // Send straight to postscreen's alt listener, claiming to be 127.0.0.77.
    p.sender = labSmtpSender(port.smtpAlt, { extra: { proxyProtocol: { sourceAddress: addr.proxyClaim } } });
    p.paths = [
      { name: "alt", host: addr.listen, port: port.imapsAlt, proxyProtocol: { sourceAddress: "127.0.0.78" } },
      { name: "internal", host: addr.listen, port: port.imapsStock },
    ];
    p.received = { mxHosts: ["mx.lab.test"], forbiddenCidrs: [`${addr.snat}/32`], expectedCidrs: [`${addr.proxyClaim}/32`] };
    delete p.kuma;
  });
  const res = await runCli(["run", "--config", cfg, "--json"]);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  const r = res.json.probes[0];
  assert.deepEqual(
    r.paths.map((p: any) => [p.name, p.ok, p.ip.ip, p.ip.rule]),
    [
      ["alt", true, addr.proxyClaim, `expectedCidrs ${addr.proxyClaim}/32`],
      ["internal", true, addr.proxyClaim, `expectedCidrs ${addr.proxyClaim}/32`],
    ],
  );
  assert.equal(r.cleanup.deleted, 1);

  // Dovecot logged the alt session as coming from the address our header claimed.
  assert.ok(
    /imap-login: Info: Login: user=<probe@lab\.test>.*rip=127\.0\.0\.78,/.test(readFileSync(`${paths.log}/dovecot.log`, "utf8")),
    "Dovecot saw rip=127.0.0.78",
  );

  // Without the header the same alt listener refuses the submission: that is how "HAProxy broke" and
  // "the mailserver broke" are told apart during a cutover.
  const bare = await runCli([
    "run",
    "--config",
    labConfig((c) => {
      const p = c.probes[0];
      p.name = "e2e_no_proxy";
      p.timeoutSeconds = 8;
      p.sender = labSmtpSender(port.smtpAlt, { extra: { timeoutSeconds: 5 } });
      p.paths = [{ name: "internal", host: addr.listen, port: port.imapsStock }];
      delete p.kuma;
    }),
    "--json",
  ]);
  assert.equal(bare.code, 1);
  assert.match(bare.json.probes[0].send.reason, /^send_(failed|timeout|rejected)$/);
});

test("a message filed into Junk: landed_in_junk on every path, found there and deleted", async () => {
  const cfg = labConfig((c) => {
    c.probes[0].name = "e2e_junk";
    c.probes[0].timeoutSeconds = 4;
    // Dovecot files +Junk into the Junk mailbox, as a spam filter would.
    c.probes[0].to = "probe+Junk@lab.test";
    delete c.probes[0].kuma;
    for (const p of c.probes[0].paths) delete p.kuma;
  });
  const res = await runCli(["run", "--config", cfg, "--json"]);
  assert.equal(res.code, 1);
  const r = res.json.probes[0];
  assert.deepEqual(
    r.paths.map((p: any) => [p.name, p.reason, p.foundIn]),
    [
      ["external", "landed_in_junk", "Junk"],
      ["internal", "landed_in_junk", "Junk"],
    ],
  );
  assert.match(r.paths[0].detail, /found in Junk, not in INBOX/);
  assert.equal(r.cleanup.deleted, 1);
  const c = imapClient(port.imapsStock);
  await c.connect();
  try {
    await c.mailboxOpen("Junk");
    assert.equal(((await c.search({ header: { "x-mailprobe-token": r.token } }, { uid: true })) || []).length, 0, "deleted from Junk");
  } finally {
    await c.logout();
  }
});
