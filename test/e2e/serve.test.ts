// `mailprobe serve` against the lab: scheduled cycles, /metrics with histogram and counters,
// health endpoints, the authenticated trigger, overruns skipped and counted, SIGTERM mid-cycle.
import assert from "node:assert/strict";
import { test } from "node:test";
import { addr, port } from "../lab/topology.js";
import { labConfig, sleep, startCli, waitUntil } from "../helpers/cli.js";
import { fakeBrevo, imapClient } from "../helpers/lab.js";

const base = `http://${addr.listen}:${port.serveMetrics}`;
const TRIGGER = "trigger-secret-7781";

function value(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return NaN;
}

test("serve: two cycles, histogram and counters, trigger, overrun counted, SIGTERM leaves nothing behind", async () => {
  const cfg = labConfig((c) => {
    c.serve = {
      listen: addr.listen,
      port: port.serveMetrics,
      schedule: "*/2 * * * * *",
      trigger: { enabled: true, bearerToken: TRIGGER },
      shutdownGraceSeconds: 15,
    };
    c.probes[0].name = "serve_e2e";
    c.probes[0].timeoutSeconds = 5;
    c.probes[0].cleanup.staleAfterSeconds = 3600;
  });
  const proc = startCli(["serve", "--config", cfg]);
  try {
    await waitUntil("readyz", async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined));
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    const metrics = await waitUntil("two successful cycles", async () => {
      const m = await (await fetch(`${base}/metrics`)).text();
      return value(m, "mailprobe_runs_total", { probe: "serve_e2e", path: "external", result: "success" }) >= 2 ? m : undefined;
    });
    assert.ok(value(metrics, "mailprobe_roundtrip_duration_seconds_count", { probe: "serve_e2e", path: "internal" }) >= 2);
    assert.ok(value(metrics, "mailprobe_roundtrip_duration_seconds_bucket", { probe: "serve_e2e", path: "internal", le: "+Inf" }) >= 2);
    assert.equal(value(metrics, "mailprobe_success", { probe: "serve_e2e", path: "external" }), 1);
    assert.equal(value(metrics, "mailprobe_runs_total", { probe: "serve_e2e", path: "external", result: "failure" }), 0);
    assert.ok(value(metrics, "mailprobe_last_success_timestamp_seconds", { probe: "serve_e2e", path: "external" }) > Date.now() / 1000 - 60);
    assert.match(metrics, /^process_resident_memory_bytes \d/m);

    assert.equal((await fetch(`${base}/probe/serve_e2e`, { method: "POST" })).status, 401);
    assert.equal((await fetch(`${base}/probe/serve_e2e`, { method: "POST", headers: { authorization: "Bearer wrong" } })).status, 401);
    const triggered = await waitUntil("a triggered run", async () => {
      const res = await fetch(`${base}/probe/serve_e2e`, { method: "POST", headers: { authorization: `Bearer ${TRIGGER}` } });
      return res.status === 409 ? undefined : res;
    });
    assert.equal(triggered.status, 200);
    const body = (await triggered.json()) as { probe: string; ok: boolean; paths: unknown[] };
    assert.equal(body.probe, "serve_e2e");
    assert.equal(body.ok, true);

    // A cycle longer than the schedule's interval: the next ticks are skipped and counted.
    await fakeBrevo("/__lab/fault", { method: "POST", body: JSON.stringify({ mode: "blackhole" }) });
    try {
      await waitUntil("an overrun", async () => {
        const m = await (await fetch(`${base}/metrics`)).text();
        return value(m, "mailprobe_overruns_total", { probe: "serve_e2e" }) >= 1 ? true : undefined;
      });
    } finally {
      await fakeBrevo("/__lab/fault", { method: "POST", body: JSON.stringify({ mode: "late", delayMs: 1000 }) });
    }
    // SIGTERM while a cycle waits for its (late) message: it finishes, cleans up, and serve exits 0.
    await sleep(2500);
    proc.child.kill("SIGTERM");
    const exit = await Promise.race([proc.exited, sleep(25_000).then(() => ({ code: -1, signal: null }))]);
    assert.equal(exit.code, 0, proc.err());
    assert.doesNotMatch(proc.err(), /unhandled|internal error/i);
    assert.ok(!proc.err().includes(TRIGGER), "the trigger token never logged");
  } finally {
    await fakeBrevo("/__lab/fault", { method: "POST", body: JSON.stringify({ mode: "none" }) });
    proc.child.kill("SIGKILL");
  }
  // Deliveries of the blackholed sends never come; a late one of the last cycle may still land.
  await sleep(1500);
  const c = imapClient(port.imapsStock);
  await c.connect();
  await c.mailboxOpen("INBOX");
  const left = (await c.search({ subject: "mailprobe serve_e2e" }, { uid: true })) || [];
  await c.logout();
  assert.deepEqual(left, [], "no probe message of serve is left behind");
});

test("serve trigger: the Bearer scheme in any case; at most one on-demand run per probe per minIntervalSeconds (429 with Retry-After)", async () => {
  const cfg = labConfig((c) => {
    c.serve = {
      listen: addr.listen,
      port: port.serveMetrics,
      // No scheduled cycle during the test (none at start either): only triggers run.
      schedule: "0 0 1 1 *",
      runOnStart: false,
      trigger: { enabled: true, bearerToken: TRIGGER, minIntervalSeconds: 4 },
    };
    c.probes[0].name = "serve_rate";
    c.probes[0].timeoutSeconds = 10;
  });
  const proc = startCli(["serve", "--config", cfg]);
  const post = (auth: string) => fetch(`${base}/probe/serve_rate`, { method: "POST", headers: { authorization: auth } });
  try {
    await waitUntil("readyz", async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined));
    assert.equal((await post(`Basic ${TRIGGER}`)).status, 401);
    assert.equal((await post(`bearer wrong-${TRIGGER}`)).status, 401);
    const first = await post(`bearer ${TRIGGER}`);
    assert.equal(first.status, 200, await first.clone().text());
    assert.equal(((await first.json()) as { ok: boolean }).ok, true);
    const limited = await post(`BEARER ${TRIGGER}`);
    assert.equal(limited.status, 429, "a second trigger within minIntervalSeconds is refused");
    const retry = Number(limited.headers.get("retry-after"));
    assert.ok(retry >= 1 && retry <= 4, `Retry-After ${limited.headers.get("retry-after")}`);
    assert.match(await limited.text(), /retry in \d+ s/);
    await sleep(retry * 1000 + 200);
    const again = await post(`Bearer ${TRIGGER}`);
    assert.equal(again.status, 200, "after Retry-After seconds the trigger runs again");
  } finally {
    proc.child.kill("SIGTERM");
    await Promise.race([proc.exited, sleep(20_000)]);
    proc.child.kill("SIGKILL");
  }
});
