// `serve` runs every probe once at start (serve.runOnStart, default true), so /metrics means
// something right after a deploy; with runOnStart: false nothing runs before the first tick.
import assert from "node:assert/strict";
import { test } from "node:test";
import { addr, port } from "../lab/topology.js";
import { labConfig, sleep, startCli, waitUntil } from "../helpers/cli.js";

const base = `http://${addr.listen}:${port.serveMetrics}`;

function value(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return NaN;
}

function serveConfig(runOnStart?: boolean) {
  return labConfig((c) => {
    // A schedule whose first tick is months away: only the start-up run can fill /metrics.
    c.serve = {
      listen: addr.listen,
      port: port.serveMetrics,
      schedule: "0 0 1 1 *",
      shutdownGraceSeconds: 10,
      ...(runOnStart === undefined ? {} : { runOnStart }),
    };
    c.probes[0].name = "serve_start";
    c.probes[0].timeoutSeconds = 10;
  });
}

async function stop(proc: ReturnType<typeof startCli>) {
  proc.child.kill("SIGTERM");
  const exit = await Promise.race([proc.exited, sleep(20_000).then(() => ({ code: -1, signal: null }))]);
  proc.child.kill("SIGKILL");
  assert.equal(exit.code, 0, proc.err());
}

test("serve: by default every probe runs once at start; /metrics shows its result without waiting for the schedule", async () => {
  const proc = startCli(["serve", "--config", serveConfig()]);
  try {
    const m = await waitUntil(
      "the start-up run in /metrics",
      async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        return value(text, "mailprobe_runs_total", { probe: "serve_start", path: "internal", result: "success" }) >= 1 ? text : undefined;
      },
      30_000,
    );
    for (const path of ["external", "internal"]) assert.equal(value(m, "mailprobe_success", { probe: "serve_start", path }), 1, path);
    assert.equal(value(m, "mailprobe_runs_total", { probe: "serve_start", path: "external", result: "success" }), 1, "exactly one run");
    assert.ok(value(m, "mailprobe_brevo_credits_remaining", { probe: "serve_start" }) > 0, "Brevo's credits read by the run");
  } finally {
    await stop(proc);
  }
});

test("serve: runOnStart: false waits for the schedule (no run at start)", async () => {
  const proc = startCli(["serve", "--config", serveConfig(false)]);
  try {
    await waitUntil("readyz", async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined));
    // A start-up run against the lab finishes within about a second; wait well past that.
    await sleep(4000);
    const m = await (await fetch(`${base}/metrics`)).text();
    assert.equal(value(m, "mailprobe_runs_total", { probe: "serve_start", path: "internal", result: "success" }), 0);
    assert.doesNotMatch(proc.err(), /"run finished"/);
  } finally {
    await stop(proc);
  }
});
