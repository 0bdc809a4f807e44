// Issue 23: a one-shot run through the Brevo API with both sinks (Kuma, Pushgateway) never loads
// undici — Node's fetch, Response and Headers — which weighs ~11 MiB and ~50 ms on Node 24: the
// sender, the sinks and doctor go through mailprobe's own fetch (src/net/http-fetch.ts, answering
// with src/net/answer.ts), and the bundle makes the Brevo SDK use its own Headers
// (scripts/bundle.mjs). A preload records Node's own modules the run loaded.
import assert from "node:assert/strict";
import { test } from "node:test";
import { labConfig, nodeModulesIn, recordNodeModules, runCli } from "../helpers/cli.js";

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
