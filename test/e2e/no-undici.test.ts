// Issue 23: a one-shot run through the Brevo API with both sinks (Kuma, Pushgateway) never loads
// undici — Node's fetch, Response and Headers — which weighs ~11 MiB and ~50 ms on Node 24: the
// sender, the sinks and doctor go through mailprobe's own fetch (src/net/http-fetch.ts, answering
// with src/net/answer.ts), and the bundle makes the Brevo SDK use its own Headers
// (scripts/bundle.mjs). A preload records Node's own modules the run loaded.
import assert from "node:assert/strict";
import { test } from "node:test";
import { labConfig, labSmtpSender, nodeModulesIn, recordNodeModules, runCli } from "../helpers/cli.js";
import { accounts, port } from "../lab/topology.js";

test("a Brevo run with Kuma and Pushgateway loads no undici, and every sink still reports", async () => {
  const cfg = labConfig((c) => (c.probes[0].name = "e2e_no_undici"));
  const r = await runCli(["run", "--config", cfg, "--json"], { env: { NODE_OPTIONS: `--require ${recordNodeModules}` } });
  assert.equal(r.code, 0, r.stderr);
  const result = (r.json as { probes: { send: { type: string; ok: boolean }; sinks: { sink: string; ok: boolean }[] }[] }).probes[0]!;
  assert.equal(result.send.type, "brevo");
  assert.ok(result.send.ok);
  const sinks = new Set(result.sinks.filter((s) => s.ok).map((s) => s.sink));
  assert.ok(sinks.has("kuma") && sinks.has("pushgateway"), JSON.stringify(result.sinks));
  const { loaded } = nodeModulesIn(r.stderr);
  assert.ok(loaded.length, "the preload recorded the modules");
  assert.ok(loaded.includes("NativeModule http"), "the recording works");
  assert.deepEqual(
    loaded.filter((m) => /undici/.test(m)),
    [],
  );
});

// Issue 23: what a run's libraries load at import but a run does not use — imapflow's id from
// WebCrypto, pino's worker_threads and transports, sonic-boom's node:assert, nodemailer's other
// transports (child_process, dgram), node:zlib before any COMPRESS — costs ~15 ms of each run.
test("a run through both routes loads no WebCrypto, worker_threads, node:assert, child_process, dgram or zlib", async () => {
  const cfg = labConfig((c) => {
    c.probes[0].name = "e2e_light";
    delete c.probes[0].watchSender;
    // The SMTP route as test/e2e/mx.test.ts runs it: the stock submission, its own Received rule.
    const smtp = { ...structuredClone(c.probes[0]), name: "e2e_light_smtp", to: accounts.probe.user };
    smtp.sender = { ...labSmtpSender(port.submissionStock, { login: true }), received: { expectedCidrs: ["127.0.0.1/32"] } };
    delete smtp.relayCheck;
    c.probes.push(smtp);
  });
  const r = await runCli(["run", "--config", cfg, "--json"], { env: { NODE_OPTIONS: `--require ${recordNodeModules}` } });
  assert.equal(r.code, 0, r.stderr);
  const sends = (r.json as { probes: { send: { type: string; ok: boolean } }[] }).probes.map((p) => `${p.send.type} ${p.send.ok}`);
  assert.deepEqual(sends.sort(), ["brevo true", "smtp true"]);
  const { loaded } = nodeModulesIn(r.stderr);
  assert.ok(loaded.includes("NativeModule tls"), "the recording works");
  assert.deepEqual(
    loaded.filter((m) => /^NativeModule (internal\/crypto\/webcrypto|worker_threads|assert|child_process|dgram|zlib)$/.test(m)),
    [],
  );
});
