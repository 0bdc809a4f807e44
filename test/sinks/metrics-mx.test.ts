// The MX verdicts as gauges: auth_result per method with the route's `required`, the spam score,
// the relay verdict per entry and its listener's certificate expiry. Names from the one module.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Registry } from "prom-client";
import type { ProbeResult } from "../../src/core/result.js";
import { createRunGauges, METRICS, recordRun } from "../../src/sinks/metrics.js";
import { probeMessage, verdictMessage, verdictPhrase, verdictRow } from "../../src/render/verdict.js";

const result = (over: Partial<ProbeResult> = {}): ProbeResult => ({
  probe: "inbound",
  ok: false,
  token: "t",
  startedAt: new Date(0).toISOString(),
  durationSeconds: 1,
  send: { type: "brevo", ok: true, attempts: 1, notes: [] },
  paths: [
    {
      name: "external",
      ok: true,
      roundtripSeconds: 0.2,
      deleted: true,
      ip: { ok: true, ip: "127.0.0.42", rule: "expectedCidrs 127.0.0.42/32" },
      authResults: {
        state: "found",
        authservId: "mx.lab.test",
        ignored: 0,
        spf: { result: "fail" },
        dkim: { result: "pass", domain: "sender.lab.test", aligned: true },
        dmarc: { result: "pass" },
      },
      spam: { score: -0.6, flagged: false, header: "x-spam-status" },
    },
    {
      name: "internal",
      ok: false,
      reason: "auth_failed",
      detail: "no Authentication-Results …",
      deleted: true,
      authResults: { state: "absent", authservId: "mx.lab.test", ignored: 0 },
    },
  ],
  authRequire: ["dkim"],
  relay: [
    { entry: "public-smtp", state: "open", detail: "RCPT accepted: 250 2.1.5 Ok", certNotAfter: "2029-02-27T21:14:46.000Z" },
    { entry: "alt-smtp", state: "refused", detail: "554 5.7.1 Relay access denied" },
    { entry: "down", state: "error", detail: "ECONNREFUSED" },
    { entry: "greylisted", state: "inconclusive", detail: "RCPT deferred (450), relaying not tested: 450 4.2.0 greylisted" },
  ],
  smtpCerts: [{ listener: "sender", notAfter: "2028-01-01T00:00:00.000Z" }],
  cleanup: { deleted: 1, stale: 0, errors: [] },
  aborted: false,
  ...over,
});

async function series(name: string) {
  const registry = new Registry();
  const g = createRunGauges(registry);
  recordRun(g, result(), 1000);
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return (m?.values ?? []).map((v) => [v.labels, v.value]);
}

test("mailprobe_auth_result: 1 for pass, 0 otherwise and for an absent header; required from the route", async () => {
  const got = await series(METRICS.authResult.name);
  const val = (path: string, method: string) => got.find(([l]) => (l as any).path === path && (l as any).method === method);
  assert.deepEqual(val("external", "spf"), [{ probe: "inbound", path: "external", method: "spf", required: "false" }, 0]);
  assert.deepEqual(val("external", "dkim"), [{ probe: "inbound", path: "external", method: "dkim", required: "true" }, 1]);
  assert.deepEqual(val("internal", "dkim"), [{ probe: "inbound", path: "internal", method: "dkim", required: "true" }, 0]);
  assert.equal(got.length, 6);
});

test("mailprobe_spam_score per path; mailprobe_open_relay per entry (none for an entry that could not be checked or was inconclusive); the SMTP certificate", async () => {
  assert.deepEqual(await series(METRICS.spamScore.name), [[{ probe: "inbound", path: "external" }, -0.6]]);
  assert.deepEqual(await series(METRICS.openRelay.name), [
    [{ probe: "inbound", entry: "public-smtp" }, 1],
    [{ probe: "inbound", entry: "alt-smtp" }, 0],
  ]);
  assert.deepEqual(await series(METRICS.relayCheckOk.name), [
    [{ probe: "inbound", entry: "public-smtp" }, 1],
    [{ probe: "inbound", entry: "alt-smtp" }, 1],
    [{ probe: "inbound", entry: "down" }, 0],
    [{ probe: "inbound", entry: "greylisted" }, 0],
  ]);
  assert.deepEqual(await series(METRICS.smtpTlsExpiry.name), [
    [{ probe: "inbound", listener: "public-smtp" }, Date.parse("2029-02-27T21:14:46Z") / 1000],
    [{ probe: "inbound", listener: "sender" }, Date.parse("2028-01-01T00:00:00Z") / 1000],
  ]);
});

test("the verdict phrases carry what the MX made of the message, and Kuma's probe message the open relay", () => {
  const ok = result().paths[0]!;
  assert.equal(verdictRow(ok), "expectedCidrs 127.0.0.42/32; spf=fail dkim=pass (sender.lab.test, aligned) dmarc=pass, score -0.60");
  assert.equal(verdictPhrase(ok), "ok 127.0.0.42 (expectedCidrs 127.0.0.42/32) spf=fail dkim=pass (sender.lab.test, aligned) dmarc=pass, score -0.60");
  assert.equal(verdictMessage(ok), "OK 0.20 s, client 127.0.0.42, spf=fail dkim=pass (sender.lab.test, aligned) dmarc=pass, score -0.60");
  assert.equal(probeMessage(result()), "FAIL external 0.20 s, internal auth_failed, open_relay public-smtp");
});

test("relays_for_lan: a `from: lan` entry sets mailprobe_relays_for_lan, never mailprobe_open_relay; Kuma and the phrase name it", async () => {
  const registry = new Registry();
  const g = createRunGauges(registry);
  const relay = [
    { entry: "public-smtp", state: "open" as const, from: "lan" as const, detail: "250 2.1.5 Ok" },
    { entry: "alt", state: "refused" as const, detail: "554 5.7.1 Relay access denied" },
  ];
  recordRun(g, result({ ok: true, relay }), 1000);
  const json = await registry.getMetricsAsJSON();
  const values = (name: string) => json.find((x) => x.name === name)!.values.map((v) => [v.labels.entry, v.value]);
  assert.deepEqual(values(METRICS.relaysForLan.name), [["public-smtp", 1]]);
  assert.deepEqual(values(METRICS.openRelay.name), [["alt", 0]]);
  assert.match(probeMessage(result({ ok: true, relay })), /relays_for_lan public-smtp/);
  assert.doesNotMatch(probeMessage(result({ ok: true, relay })), /open_relay/);
});
