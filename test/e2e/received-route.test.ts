// Received rules per sender route, against the lab: the Brevo route arrives from Brevo's relay
// (127.0.0.42), the watchSender through submission from 127.0.0.1; each route is judged by its own
// expectedCidrs. And `run` names the observed entry-hop address when expectedCidrs is empty.
import assert from "node:assert/strict";
import { test } from "node:test";
import { accounts, port } from "../lab/topology.js";
import { labConfig, labSmtpSender, runCli } from "../helpers/cli.js";

const lines = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l));

function viaSmtp(name: string, routeReceived?: Record<string, unknown>) {
  return labConfig((c) => {
    c.probes[0].name = name;
    c.probes[0].timeoutSeconds = 8;
    c.probes[0].to = accounts.probe.user;
    // The probe's rules stay Brevo's (expectedCidrs 127.0.0.42/32, forbiddenCidrs the SNAT address).
    c.probes[0].watchSender = labSmtpSender(port.submissionStock, { login: true, extra: routeReceived ? { received: routeReceived } : {} });
  });
}

test("watch --via smtp is judged by watchSender.received (its own expectedCidrs, the probe's forbiddenCidrs inherited)", async () => {
  const own = await runCli(["watch", "--config", viaSmtp("rr_own", { expectedCidrs: ["127.0.0.1/32"] }), "--via", "smtp", "--count", "1"]);
  assert.equal(own.code, 0, own.stdout + own.stderr);
  const cycle = lines(own.stdout).find((e) => e.event === "cycle");
  assert.equal(cycle.send.type, "smtp");
  for (const p of cycle.paths) assert.equal(p.verdict, "ok 127.0.0.1 (expectedCidrs 127.0.0.1/32)", JSON.stringify(p));

  // Without the route's own rules, the probe's (Brevo's) expectedCidrs apply and the submission fails them.
  const shared = await runCli(["watch", "--config", viaSmtp("rr_shared"), "--via", "smtp", "--count", "1"]);
  assert.equal(shared.code, 1, shared.stdout + shared.stderr);
  const failed = lines(shared.stdout).find((e) => e.event === "cycle");
  assert.ok(
    failed.paths.every((p: any) => /^real_ip_unexpected 127\.0\.0\.1 not in expectedCidrs 127\.0\.0\.42\/32/.test(p.verdict)),
    JSON.stringify(failed.paths),
  );
});

test("run with empty expectedCidrs prints the observed entry-hop address and where to add it", async () => {
  const cfg = labConfig((c) => {
    c.probes[0].name = "rr_hint";
    c.probes[0].received.expectedCidrs = [];
  });
  const human = await runCli(["run", "--config", cfg]);
  assert.equal(human.code, 0, human.stdout + human.stderr);
  assert.match(human.stdout, /^ {2}hint: observed 127\.0\.0\.42: add it \(or Brevo's range\) to expectedCidrs$/m);
  assert.equal(human.stdout.match(/hint: observed/g)?.length, 1, "once for both paths");
  const json = await runCli(["run", "--config", cfg, "--json"]);
  assert.match(json.json.probes[0].paths[0].ip.hint, /^observed 127\.0\.0\.42: add it/);
  // With expectedCidrs set, no hint.
  const set = await runCli(["run", "--config", labConfig((c) => (c.probes[0].name = "rr_nohint"))]);
  assert.equal(set.code, 0, set.stdout + set.stderr);
  assert.doesNotMatch(set.stdout, /hint:/);
});
