// `mailprobe doctor` against the lab: healthy passes without sending mail or a heartbeat; each broken
// part is named on its own line with the likely cause, and the checks after it are skipped.
import assert from "node:assert/strict";
import { test } from "node:test";
import { labConfig, labSmtpSender, runCli } from "../helpers/cli.js";
import { fakeBrevo } from "../helpers/lab.js";
import { allBeatsAfter, lastBeatId } from "../lab/kuma.js";
import { accounts, addr, brevo, kuma, mx, paths, port } from "../lab/topology.js";

const SECRETS = [brevo.apiKey, accounts.probe.password, ...kuma.tokens];

async function doctor(mutate: (c: any) => void = () => undefined, json = true) {
  const res = await runCli(["doctor", "--config", labConfig(mutate), ...(json ? ["--json"] : [])]);
  assert.doesNotMatch(res.stderr, /unhandled|internal error/i);
  for (const s of SECRETS) assert.ok(!res.stdout.includes(s) && !res.stderr.includes(s), "no secret in the output");
  return res;
}
const find = (res: any, scope: string, check: string) => res.json.checks.find((c: any) => c.scope === scope && c.check === check);

test("doctor on the healthy lab: every check passes, no mail sent, no Kuma heartbeat recorded", async () => {
  const sentBefore = ((await (await fakeBrevo("/__lab/sent")).json()) as unknown[]).length;
  const mark = lastBeatId();
  const res = await doctor();
  assert.equal(res.code, 0, res.stdout);
  const checks = res.json.checks;
  for (const path of ["external", "internal"]) {
    for (const c of ["dns", "tcp", "tls", "login", "select", "uidnext", "look back", "idle", "cleanup", "junk mailbox"])
      assert.equal(find(res, `inbound/${path}`, c)?.status, "ok", `${path} ${c}: ${JSON.stringify(find(res, `inbound/${path}`, c))}`);
  }
  assert.match(find(res, "inbound/internal", "cleanup").detail, /^uid-expunge: the server announces UIDPLUS/);
  assert.equal(find(res, "config", "token key").status, "ok");
  assert.deepEqual(res.json.warnings, []);
  assert.match(find(res, "inbound/external", "tls").detail, /CN=mx\.lab\.test .*issued by CN=mailprobe lab CA, \d+ days left, trusted/);
  assert.match(find(res, "inbound/sender", "brevo api key").detail, /API key valid .*\d+ send credits left/);
  assert.equal(find(res, "pushgateway", "reachable").status, "ok");
  for (const entry of ["public-smtp", "alt-smtp"]) {
    assert.match(find(res, `inbound/relay/${entry}`, "relay").detail, /unauthenticated RCPT refused: 554 .*Relay access denied/);
    assert.match(find(res, `inbound/relay/${entry}`, "smtp tls").detail, /certificate expires \d{4}-\d\d-\d\d, \d+ days left/);
  }
  assert.equal(checks.filter((c: any) => c.check === "kuma url" && c.status === "ok").length, 3);
  assert.equal(((await (await fakeBrevo("/__lab/sent")).json()) as unknown[]).length, sentBefore, "no mail sent");
  assert.deepEqual(allBeatsAfter(mark), [], "no heartbeat recorded by Kuma");
  const human = await doctor(undefined, false);
  assert.match(human.stdout, /SCOPE\s+CHECK\s+STATUS\s+DETAIL/);
  assert.match(human.stdout, /doctor: all 30 checks passed/);
});

test("doctor: IMAP auth broken → login FAIL on each path with the cause, select and idle skipped, exit 1", async () => {
  const res = await doctor((c) => (c.probes[0].imap.password = "Wr0ng-Doctor-Pass-9"));
  assert.equal(res.code, 1);
  for (const path of ["external", "internal"]) {
    const login = find(res, `inbound/${path}`, "login");
    assert.equal(login.status, "fail");
    assert.match(login.detail, /login refused/);
    assert.match(login.hint, /check user and password/);
    assert.equal(find(res, `inbound/${path}`, "tls").status, "ok");
    assert.equal(find(res, `inbound/${path}`, "select").status, "skip");
    assert.equal(find(res, `inbound/${path}`, "idle").status, "skip");
    assert.equal(find(res, `inbound/${path}`, "cleanup").status, "skip");
  }
  assert.ok(!res.stdout.includes("Wr0ng-Doctor-Pass-9"));
  const human = await doctor((c) => (c.probes[0].imap.password = "Wr0ng-Doctor-Pass-9"), false);
  assert.match(human.stdout, /inbound\/external\s+login\s+FAIL\s+login refused/);
  assert.match(human.stdout, /→ the server refused probe@lab\.test: check user and password/);
  assert.match(human.stdout, /doctor: 2 of 30 checks failed/);
});

test("doctor: TLS trust broken (no caFile) → tls FAIL naming the untrusted chain, login skipped", async () => {
  const res = await doctor((c) => delete c.probes[0].imap.caFile);
  assert.equal(res.code, 1);
  const tls = find(res, "inbound/internal", "tls");
  assert.equal(tls.status, "fail");
  assert.match(
    tls.detail,
    /CN=mx\.lab\.test.*chain not trusted: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|unable to verify the first certificate|SELF_SIGNED|unable to get local issuer)/i,
  );
  assert.match(tls.hint, /set caFile/);
  assert.equal(find(res, "inbound/internal", "login").status, "skip");
});

test("doctor: wrong TLS server name and a closed port are told apart", async () => {
  const res = await doctor((c) => {
    c.probes[0].imap.servername = "imap.elsewhere.test";
    c.probes[0].paths[0].port = port.fakeBrevo + 7; // nothing listens there
  });
  assert.equal(res.code, 1);
  const tcp = find(res, "inbound/external", "tcp");
  assert.equal(tcp.status, "fail");
  assert.match(tcp.detail, /ECONNREFUSED/);
  assert.match(tcp.hint, /nothing listens/);
  assert.equal(find(res, "inbound/external", "tls").status, "skip");
  const tls = find(res, "inbound/internal", "tls");
  assert.equal(tls.status, "fail");
  assert.match(tls.detail, /imap\.elsewhere\.test/);
  assert.match(tls.hint, /set servername/);
});

test("doctor: Pushgateway down → its line FAILS with the cause, the rest still passes", async () => {
  const res = await doctor((c) => (c.pushgateway.url = `http://127.0.0.1:${port.fakeBrevo + 7}`));
  assert.equal(res.code, 1);
  const pg = find(res, "pushgateway", "reachable");
  assert.equal(pg.status, "fail");
  assert.match(pg.detail, /ECONNREFUSED/);
  assert.match(pg.hint, /metrics are lost/);
  assert.equal(res.json.checks.filter((c: any) => c.status === "fail").length, 1);
});

test("doctor: a bad Brevo key and an unreachable Kuma host are named", async () => {
  const res = await doctor((c) => {
    c.probes[0].sender.apiKey = "xkeysib-bad-doctor-key-000";
    c.probes[0].kuma.pushUrl = `http://127.0.0.1:${port.fakeBrevo + 7}/api/push/labprobe`;
  });
  assert.equal(res.code, 1);
  const s = find(res, "inbound/sender", "brevo api key");
  assert.equal(s.status, "fail");
  assert.match(s.detail, /401/);
  assert.match(s.hint, /refused the API key/);
  const k = find(res, "inbound/kuma", "kuma url");
  assert.equal(k.status, "fail");
  assert.doesNotMatch(k.detail, /labprobe/);
  assert.ok(!res.stdout.includes("xkeysib-bad-doctor-key-000"));
});

test("doctor: an SMTP watchSender's listener certificate (STARTTLS on the stock submission), read without MAIL", async () => {
  const res = await doctor((c) => (c.probes[0].watchSender = labSmtpSender(port.submissionStock, { login: true })));
  const cert = find(res, "inbound/watchSender", "smtp tls");
  assert.equal(cert?.status, "ok", JSON.stringify(cert));
  assert.match(cert.detail, /certificate expires \d{4}-\d\d-\d\d, \d+ days left/);
});

test("doctor reads the certificate of implicit-TLS listeners: 465, and 4465 behind our own PROXY header", async () => {
  const entry = (name: string, p: number, extra: Record<string, unknown> = {}) => ({
    name,
    host: addr.listen,
    port: p,
    security: "tls",
    servername: mx.hostname,
    caFile: paths.caCert,
    localAddress: addr.proxyClaim,
    ...extra,
  });
  const res = await doctor((c) => {
    c.probes[0].relayCheck = [
      entry("smtps", port.smtpsStock),
      entry("smtps-alt", port.smtpsAlt, { localAddress: undefined, proxyProtocol: { sourceAddress: addr.proxyClaim } }),
      // STARTTLS spoken to an implicit-TLS listener: the check must notice it is not talking TLS as configured.
      entry("smtps-wrong", port.smtpsStock, { security: "starttls" }),
    ];
  });
  for (const name of ["smtps", "smtps-alt"]) {
    assert.match(find(res, `inbound/relay/${name}`, "relay").detail, /unauthenticated RCPT refused: 5\d\d /, name);
    assert.match(find(res, `inbound/relay/${name}`, "smtp tls").detail, /certificate expires \d{4}-\d\d-\d\d, \d+ days left/, name);
  }
  assert.equal(find(res, "inbound/relay/smtps-wrong", "relay").status, "fail");
  assert.equal(find(res, "inbound/relay/smtps-wrong", "smtp tls").status, "skip");
  assert.equal(res.code, 1);
});
