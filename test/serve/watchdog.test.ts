// The last line of defence in `serve`: every step of a cycle is bounded, so a cycle cannot outlive
// timeoutSeconds + the cleanup budget + the sink budget + 1 s — unless there is a bug. A bug is staged
// here through serve's `cycle` seam (a cycle that never settles and ignores its signal), since no
// real step can be made to hang any more: /healthz turns 503 naming the probe once the bound is
// past (so Kubernetes restarts the wedged process), mailprobe_cycle_stuck says 1, and stop still
// gives up after shutdownGraceSeconds.
import assert from "node:assert/strict";
import { test } from "node:test";
import { builtins, loadConfig } from "../../src/index.js";
import { createLogger } from "../../src/log.js";
import { cycleBoundMs, startServe } from "../../src/serve/server.js";
import { labConfig } from "../helpers/cli.js";

builtins();

test("a cycle past its bound: /healthz 503 naming the probe, mailprobe_cycle_stuck 1; stop gives up after the grace", async () => {
  const config = loadConfig(
    labConfig((c) => {
      c.serve = { listen: "127.0.0.1", port: 0, schedule: "0 0 1 1 *", runOnStart: true, shutdownGraceSeconds: 1 };
      c.probes[0].name = "wedged";
      c.probes[0].timeoutSeconds = 0.5;
      delete c.pushgateway;
      delete c.probes[0].kuma;
      for (const p of c.probes[0].paths) delete p.kuma;
    }),
  );
  const probe = config.probes[0]!;
  const boundMs = cycleBoundMs(config, probe);
  let started = 0;
  const serving = await startServe({
    config,
    settings: config.serve!,
    probes: config.probes,
    log: createLogger({ level: "silent", redact: (t) => t }),
    redact: (t) => t,
    cycle: () => {
      started = Date.now();
      return new Promise(() => undefined);
    },
  });
  const base = `http://${serving.address}`;
  const health = async () => {
    const res = await fetch(`${base}/healthz`);
    return { status: res.status, body: await res.text() };
  };
  const stuckGauge = async () => /^mailprobe_cycle_stuck\{probe="wedged"\} (\d)/m.exec(await (await fetch(`${base}/metrics`)).text())?.[1];
  try {
    // Running, but not past its bound yet: healthy.
    while (!started) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(await health(), { status: 200, body: "ok\n" });
    assert.equal(await stuckGauge(), "0");
    // Past the bound.
    await new Promise((r) => setTimeout(r, Math.max(0, started + boundMs + 300 - Date.now())));
    const h = await health();
    assert.equal(h.status, 503);
    assert.match(h.body, /stuck past its bound: wedged/);
    assert.equal(await stuckGauge(), "1");
  } finally {
    const t = Date.now();
    await serving.stop();
    // shutdownGraceSeconds 1; 2 s of slack for a loaded 2-core machine.
    assert.ok(Date.now() - t < 3000, `stop took ${Date.now() - t} ms`);
  }
});
