// serve re-reads its config each cycle (src/serve/reload.ts), but its IMAP session cap is made once
// per process (serve/server.ts: "like the listener and the schedules, it changes with a restart").
// A reload that raises imapSessionsPerUser and adds a path on the same login and host passes the
// config's own check (against the new cap), yet the process's slots keep the old cap: the probe then
// waits on itself every cycle, and the path fails imap_connect after the whole deadline with a
// message blaming "other probes". The reload must be refused instead (config_invalid naming the
// field and saying a restart is needed). No network: in-process config source only.
import assert from "node:assert/strict";
import { test } from "node:test";
import { builtins, loadConfig, type LoadedConfig } from "../../src/index.js";
import { createConfigSource } from "../../src/serve/reload.js";
import { labConfig } from "../helpers/cli.js";

builtins();

function config(cap: number, paths: number): LoadedConfig {
  return loadConfig(
    labConfig((c) => {
      c.imapSessionsPerUser = cap;
      c.probes[0].name = "reload";
      // The lab's two paths log in as one user at one host (127.0.0.1, two ports): one slot key.
      c.probes[0].paths = c.probes[0].paths.slice(0, paths);
      delete c.probes[0].kuma;
      for (const p of c.probes[0].paths) delete p.kuma;
    }),
  );
}

test("a reload whose probe needs more sessions per login than serve's cap is refused (config_invalid), not a self-wait", () => {
  const first = config(1, 1);
  const source = createConfigSource(first, false, () => config(2, 2));
  const at = source.forCycle("reload");
  assert.match(at.invalid ?? "", /imapSessionsPerUser/, "the reload is refused, naming the setting");
  assert.match(at.invalid ?? "", /restart serve/);
  assert.equal(at.probe.paths.length, 1, "the cycle keeps the probe that loaded last");
});

test("a reload within serve's cap still loads", () => {
  const source = createConfigSource(config(2, 1), false, () => config(2, 2));
  const at = source.forCycle("reload");
  assert.equal(at.invalid, undefined);
  assert.equal(at.probe.paths.length, 2);
});
