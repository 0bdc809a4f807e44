// serve re-reads its config each cycle and takes the trigger's bearer token "from the last config
// that loaded (a rotated bearerTokenFile too)" (serve/server.ts). When the last config that loaded
// has no token any more (the operator turned the trigger off, e.g. because the token leaked), serve
// fell back to the token it was started with: a token no config holds any more kept starting runs
// (and spending sends) until a restart. In process: serve on a loopback port 0 of ours, a stand-in cycle.
import assert from "node:assert/strict";
import { test } from "node:test";
import { builtins, loadConfig, type LoadedConfig } from "../../src/index.js";
import { createLogger } from "../../src/log.js";
import { configInvalidResult } from "../../src/serve/reload.js";
import { startServe } from "../../src/serve/server.js";
import type { ReportedResult } from "../../src/core/result.js";
import { labConfig } from "../helpers/cli.js";

builtins();

const LEAKED = "leaked-trigger-token-0123456789";

function config(trigger: Record<string, unknown>): LoadedConfig {
  return loadConfig(
    labConfig((c) => {
      c.probes[0].name = "reload";
      c.serve = { listen: "127.0.0.1", port: 0, schedule: "0 0 1 1 *", runOnStart: false, trigger: { minIntervalSeconds: 0, ...trigger } };
      delete c.probes[0].kuma;
      for (const p of c.probes[0].paths) delete p.kuma;
    }),
  );
}

test("a trigger token that the reloaded config no longer holds starts no more runs", async () => {
  const initial = config({ enabled: true, bearerToken: LEAKED });
  const off = config({ enabled: false });
  let runs = 0;
  const serving = await startServe({
    config: initial,
    settings: initial.serve!,
    probes: initial.probes,
    log: createLogger({ level: "silent", redact: (t) => t }),
    redact: (t) => t,
    reload: () => off,
    cycle: async (probe) => {
      runs += 1;
      return { ...configInvalidResult(probe, "stand-in"), ok: true, reason: undefined, paths: [], sinks: [] } as ReportedResult;
    },
  });
  const trigger = () => fetch(`http://${serving.address}/probe/reload`, { method: "POST", headers: { authorization: `Bearer ${LEAKED}` } });
  try {
    // The first cycle reads the config in which the trigger is off and the token gone.
    assert.equal((await trigger()).status, 200);
    assert.equal(runs, 1);
    const again = await trigger();
    assert.notEqual(again.status, 200, "the removed token started another run");
    assert.equal(runs, 1);
  } finally {
    await serving.stop();
  }
});
