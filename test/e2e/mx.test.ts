// What the MX made of the sender, against the lab's running Rspamd (milter), unbound (SPF, DKIM,
// DMARC of the fake Brevo's domain), Postfix and Dovecot + Sieve: the Done-when cases of issue 13.
// Each state is set with the lab's own switches and put back afterwards.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import * as z from "zod";
import { builtins, fields, main, registerSender, type SenderModule } from "../../src/index.js";
import { labConfig, labSmtpSender, runCli } from "../helpers/cli.js";
import { DEFAULT_STATE, set, type LabState } from "../lab/lab.js";
import { sendSpam } from "../lab/mx.js";
import { accounts, addr, mx, paths, port } from "../lab/topology.js";

builtins();

const postfixLog = join(paths.log, "postfix.log");

after(async () => {
  await set({ ...DEFAULT_STATE });
});

async function runIn(state: Partial<LabState>, name: string, mutate: (p: any) => void = () => undefined, doctor = false) {
  await set({ ...DEFAULT_STATE, ...state });
  try {
    const config = labConfig((c) => {
      c.probes[0].name = name;
      delete c.pushgateway;
      delete c.probes[0].kuma;
      for (const p of c.probes[0].paths) delete p.kuma;
      mutate(c.probes[0]);
    });
    const res = await runCli(["run", "--json", "--config", config]);
    assert.ok(res.json, res.stderr);
    const doc = doctor ? await runCli(["doctor", "--json", "--config", config]) : undefined;
    return { code: res.code, r: res.json.probes[0], stdout: res.stdout, doctor: doc };
  } finally {
    await set({ ...DEFAULT_STATE });
  }
}

test("healthy lab, Brevo route: spf=pass dkim=pass (aligned) dmarc=pass, a score from the real Rspamd, every entry point refuses to relay", async () => {
  const { code, r } = await runIn({}, "mx_ok");
  assert.equal(code, 0, JSON.stringify(r));
  for (const p of r.paths) {
    assert.equal(p.ok, true);
    assert.equal(p.authResults.state, "found");
    assert.equal(p.authResults.authservId, "mx.lab.test");
    assert.equal(p.authResults.spf.result, "pass");
    assert.deepEqual(p.authResults.dkim, { result: "pass", domain: "sender.lab.test", aligned: true });
    assert.equal(p.authResults.dmarc.result, "pass");
    assert.equal(typeof p.spam.score, "number");
    assert.ok(p.spam.score < 6, `score ${p.spam.score}`);
    assert.equal(p.entryTls.tls, true);
  }
  assert.deepEqual(r.authRequire, ["spf", "dkim", "dmarc"]);
  assert.deepEqual(
    r.relay.map((x: any) => [x.entry, x.state]),
    [
      ["public-smtp", "refused"],
      ["alt-smtp", "refused"],
    ],
  );
  assert.match(r.relay[0].detail, /^554 .*Relay access denied/);
  assert.ok(Date.parse(r.relay[0].certNotAfter) > Date.now(), "the listener's certificate was read");
});

test("a relayCheck entry whose TLS handshake fails (wrong servername): relay_check_ok 0 pushed, the reason named in the run and by doctor (smtp tls FAIL, not skip)", async () => {
  const gateway = async () => (await fetch(`http://${addr.listen}:${port.pushgateway}/metrics`)).text();
  const config = labConfig((c) => {
    c.probes[0].name = "mx_relay_tls";
    delete c.probes[0].kuma;
    for (const p of c.probes[0].paths) delete p.kuma;
    // The real certificate does not hold this name: the same path as an expired or untrusted certificate.
    c.probes[0].relayCheck[0].servername = "wrong.example";
  });
  const res = await runCli(["run", "--json", "--config", config]);
  const r = res.json.probes[0];
  const relay = Object.fromEntries(r.relay.map((x: any) => [x.entry, x]));
  assert.equal(relay["public-smtp"].state, "error");
  assert.match(relay["public-smtp"].tlsError, /wrong\.example|altnames/);
  assert.equal(relay["public-smtp"].certNotAfter, undefined);
  assert.equal(relay["alt-smtp"].state, "refused");
  const text = await gateway();
  const line = (entry: string) =>
    text.split("\n").find((l) => l.startsWith("mailprobe_relay_check_ok{") && l.includes(`entry="${entry}"`) && l.includes('probe="mx_relay_tls"'));
  assert.match(line("public-smtp") ?? "", / 0$/, text.slice(0, 200));
  assert.match(line("alt-smtp") ?? "", / 1$/);
  const human = await runCli(["run", "--config", config]);
  assert.match(human.stdout, /relay: public-smtp NOT CHECKED, TLS failed \(ERR_TLS_CERT_ALTNAME_INVALID: Hostname\/IP does not match/);
  const doc = await runCli(["doctor", "--json", "--config", config]);
  const tls = doc.json.checks.find((c: any) => c.scope === "mx_relay_tls/relay/public-smtp" && c.check === "smtp tls");
  assert.equal(tls.status, "fail", JSON.stringify(tls));
  assert.match(tls.detail, /wrong\.example|altnames/);
  assert.equal(doc.json.checks.find((c: any) => c.scope === "mx_relay_tls/relay/alt-smtp" && c.check === "smtp tls").status, "ok");
});

test("an SMTP sender route: the run reads the certificate its submission listener serves (listener `sender`), its own route checks apply", async () => {
  const { r } = await runIn({}, "mx_smtp", (p) => {
    p.sender = { ...labSmtpSender(port.submissionStock, { login: true }), received: { expectedCidrs: ["127.0.0.1/32"] } };
    p.to = accounts.probe.user;
    delete p.relayCheck;
  });
  assert.equal(r.smtpCerts[0].listener, "sender");
  assert.ok(Date.parse(r.smtpCerts[0].notAfter) > Date.now());
  // The Brevo route's require [spf, dkim, dmarc] is not this route's: Rspamd does not check an authenticated submission.
  assert.equal(r.authRequire, undefined);
  for (const p of r.paths) {
    assert.equal(p.ok, true, p.detail);
    assert.equal(p.authResults.state, "none");
  }
});

test("proxy=broken: real_ip_forbidden, spf=fail for the node address, DMARC's actual verdict (pass on DKIM alignment) in the detail", async () => {
  const { code, r } = await runIn({ proxy: "broken" }, "mx_proxy");
  assert.equal(code, 1);
  const p = r.paths[0];
  assert.equal(p.reason, "real_ip_forbidden");
  assert.equal(p.authResults.spf.result, "fail");
  assert.match(p.authResults.spf.comment, /does not designate 127\.0\.0\.9/);
  assert.equal(p.authResults.dmarc.result, "pass");
  assert.equal(p.detail, "127.0.0.9: forbiddenCidrs 127.0.0.9/32; SPF fail because the MX saw 127.0.0.9; DMARC pass on DKIM alignment (sender.lab.test)");
  // HAProxy without PROXY still refuses to relay while the node range is not trusted.
  assert.ok(
    r.relay.every((x: any) => x.state === "refused"),
    JSON.stringify(r.relay),
  );
});

test("node range trusted (+proxy=broken): real_ip_forbidden with the checks skipped, and HAProxy's public SMTP port is an open relay", async () => {
  const logFrom = statSync(postfixLog).size;
  const { code, r, doctor } = await runIn({ proxy: "broken", trust: "node-range" }, "mx_trust", undefined, true);
  assert.equal(code, 1);
  for (const p of r.paths) {
    assert.equal(p.reason, "real_ip_forbidden");
    assert.equal(p.authResults.state, "none");
    assert.match(p.detail, /the MX skipped SPF, DKIM and DMARC because it saw 127\.0\.0\.9/);
  }
  const relay = Object.fromEntries(r.relay.map((x: any) => [x.entry, x]));
  assert.equal(relay["public-smtp"].state, "open");
  assert.match(relay["public-smtp"].detail, /accepted without authentication: 250 /);
  // Our own PROXY header claims a stranger's address: the alt listener still refuses.
  assert.equal(relay["alt-smtp"].state, "refused");
  // doctor sees the same, without sending a probe message.
  assert.equal(doctor!.code, 1);
  const relayCheck = doctor!.json.checks.find((c: any) => c.scope === "mx_trust/relay/public-smtp" && c.check === "relay");
  assert.equal(relayCheck.status, "fail");
  assert.match(relayCheck.hint, /open relay/);
  // Postfix's own count of the accepted session's commands: RCPT accepted, QUIT, never DATA.
  const log = readFileSync(postfixLog, "latin1").slice(logFrom);
  assert.match(log, /disconnect from unknown\[127\.0\.0\.9\] ehlo=2 starttls=1 mail=1 rcpt=1 quit=1 commands=6\b/);
});

test("dkim=broken-body with require [dkim]: auth_failed dkim=fail, the verifier's reason in the detail", async () => {
  const { code, r } = await runIn({ dkim: "broken-body" }, "mx_dkim", (p) => (p.sender.authResults = { require: ["dkim"] }));
  assert.equal(code, 1);
  for (const p of r.paths) {
    assert.equal(p.reason, "auth_failed");
    assert.equal(p.authResults.dkim.result, "fail");
    assert.match(p.detail, /^dkim=fail \(sender\.lab\.test, aligned\) "body hash did not verify"; dmarc=fail/);
  }
  assert.ok(r.relay.every((x: any) => x.state === "refused"));
});

// A test-only sender that submits the lab's spam-shaped message (test/lab/mx.ts sendSpam: no
// Message-ID, no To, a future Date, HTML only, a link to an IP) carrying the probe's token, through
// HAProxy from Brevo's relay address. Only Rspamd's stock rules score it; Sieve files it.
const SpamSchema = z.object({ type: z.literal("labspam"), from: fields.email }).strict();
const spamSender: SenderModule<z.infer<typeof SpamSchema>> = {
  type: "labspam",
  displayName: "lab spam",
  schema: SpamSchema,
  resolve: (parsed) => parsed as z.infer<typeof SpamSchema>,
  secrets: () => [],
  doctor: { check: "labspam", hints: { default: "-" } },
  create: async () => ({
    async send(msg) {
      await sendSpam(msg.subject, msg.headers);
      return { ok: true, attempts: 1, notes: [] };
    },
    close() {},
  }),
};

test("a message over Rspamd's add-header threshold: landed_in_junk through the real Rspamd and Sieve, with its score", async (t) => {
  t.after(registerSender(spamSender));
  let stdout = "";
  const code = await main(
    [
      "run",
      "--json",
      "--config",
      labConfig((c) => {
        const p = c.probes[0];
        p.name = "mx_spam";
        p.timeoutSeconds = 4;
        p.to = "probe@lab.test";
        p.sender = { type: "labspam", from: "promo@sender.lab.test" };
        p.paths = [p.paths[1]];
        delete p.relayCheck;
        delete p.kuma;
        delete p.paths[0].kuma;
        delete c.pushgateway;
      }),
    ],
    { env: { ...process.env, NO_COLOR: "1" }, isTTY: false, stdout: (t) => (stdout += t), stderr: () => undefined },
  );
  assert.equal(code, 1, stdout);
  const p = JSON.parse(stdout).probes[0].paths[0];
  assert.equal(p.reason, "landed_in_junk");
  assert.equal(p.foundIn, "Junk");
  assert.equal(p.spam.flagged, true);
  assert.ok(p.spam.score >= 6, `score ${p.spam.score}`);
  assert.match(p.detail, /^found in Junk, not in INBOX \(score \d+\.\d\d, spf=pass /);
});

test("a third sender type exposes its listener through the certTarget hook: run publishes its certificate as listener `sender`", async (t) => {
  // A test-only sender whose send fails at once: only its certTarget matters (the lab's stock
  // submission listener, STARTTLS); the certificate read runs beside the cycle.
  const CertSchema = z.object({ type: z.literal("labcert"), from: fields.email }).strict();
  const unregister = registerSender<z.infer<typeof CertSchema>>({
    type: "labcert",
    displayName: "lab cert",
    schema: CertSchema,
    resolve: (parsed) => parsed as z.infer<typeof CertSchema>,
    secrets: () => [],
    doctor: { check: "labcert", hints: { default: "-" } },
    certTarget: (cfg) => ({
      host: addr.listen,
      port: port.submissionStock,
      security: "starttls",
      servername: mx.hostname,
      ca: readFileSync(paths.caCert, "utf8"),
      heloName: "mailprobe",
      mailFrom: cfg.from,
      timeoutMs: 5000,
    }),
    create: async () => ({
      async send() {
        return { ok: false, reason: "send_failed", detail: "labcert sends nothing", attempts: 1, notes: [] };
      },
      close() {},
    }),
  });
  t.after(unregister);
  let stdout = "";
  await main(
    [
      "run",
      "--json",
      "--config",
      labConfig((c) => {
        const p = c.probes[0];
        p.name = "mx_certhook";
        p.sender = { type: "labcert", from: "probe@sender.lab.test" };
        delete p.relayCheck;
        delete p.kuma;
        for (const x of p.paths) delete x.kuma;
        delete c.pushgateway;
      }),
    ],
    { env: { ...process.env, NO_COLOR: "1" }, isTTY: false, stdout: (t) => (stdout += t), stderr: () => undefined },
  );
  const r = JSON.parse(stdout).probes[0];
  assert.equal(r.smtpCerts?.[0]?.listener, "sender", stdout.slice(0, 400));
  assert.ok(Date.parse(r.smtpCerts[0].notAfter) > Date.now());
});
