// serve's per-cycle config (src/serve/reload.ts), in process and without the network: each cycle gets
// the config as it reads now; a reload that fails makes that cycle a config_invalid result (nothing
// run), the last config that loaded stays for the sinks, and the next cycle tries again; the
// pushgateway block is seen only with serve.push; the trigger's token is the last one read.
import assert from "node:assert/strict";
import { test } from "node:test";
import { builtins, ConfigError, loadConfig, type LoadedConfig } from "../../src/index.js";
import { createLogger } from "../../src/log.js";
import { configInvalidResult, createConfigSource, forServe } from "../../src/serve/reload.js";
import { startServe } from "../../src/serve/server.js";
import type { ReportedResult } from "../../src/core/result.js";
import { labConfig } from "../helpers/cli.js";

builtins();

const TOKEN_1 = "reload-trigger-token-one-0123";
const TOKEN_2 = "reload-trigger-token-two-4567";

function config(password: string, token = TOKEN_1): LoadedConfig {
  return loadConfig(
    labConfig((c) => {
      c.probes[0].name = "reload";
      c.probes[0].imap.password = password;
      c.serve = {
        listen: "127.0.0.1",
        port: 0,
        schedule: "0 0 1 1 *",
        runOnStart: false,
        trigger: { enabled: true, bearerToken: token, minIntervalSeconds: 0 },
      };
      delete c.probes[0].kuma;
      for (const p of c.probes[0].paths) delete p.kuma;
    }),
  );
}

const broken = () => {
  throw new ConfigError([{ field: "probes[0].imap.passwordFile", message: "/run/secrets/imap is empty: put the secret in it" }], "/etc/config.yaml");
};

test("forServe: the pushgateway block only with serve.push", () => {
  const c = config("first-password-0");
  assert.ok(c.pushgateway);
  assert.equal(forServe(c, false).pushgateway, undefined);
  assert.equal(forServe(c, true), c);
});

test("the config source: each cycle re-reads; a failed reload is that cycle's config_invalid, with the last good config", () => {
  const first = config("first-password-0");
  let next: () => LoadedConfig = () => config("second-password-0");
  const source = createConfigSource(first, false, () => next());
  const a = source.forCycle("reload");
  assert.equal(a.invalid, undefined);
  assert.equal(a.probe.paths[0]!.password, "second-password-0");
  assert.equal(a.config.pushgateway, undefined, "without serve.push the sinks see no pushgateway block");

  next = broken;
  const b = source.forCycle("reload");
  assert.equal(b.invalid, "config reload failed: probes[0].imap.passwordFile: /run/secrets/imap is empty: put the secret in it");
  assert.equal(b.probe.paths[0]!.password, "second-password-0", "the last probe that loaded");
  assert.equal(source.latest(), a.config);

  next = () => config("third-password-0");
  assert.equal(source.forCycle("reload").probe.paths[0]!.password, "third-password-0", "the next cycle tries again");
  assert.match(source.forCycle("renamed").invalid ?? "", /probe renamed is no longer in .*: restart serve/);

  const r = configInvalidResult(b.probe, b.invalid!);
  assert.equal(r.ok, false);
  assert.equal(r.reason, "config_invalid");
  assert.deepEqual(
    r.paths.map((p) => [p.reason, p.detail]),
    r.paths.map(() => ["config_invalid", b.invalid]),
  );
  assert.equal(r.send.attempts, 0);
});

test("startServe with reload: the cycle runs with the reloaded probe; a failed reload skips the run, /metrics says config_invalid; the trigger token rotates", async () => {
  let next: () => LoadedConfig = () => config("second-password-0", TOKEN_2);
  const seen: string[] = [];
  const initial = config("first-password-0");
  const serving = await startServe({
    config: initial,
    settings: initial.serve!,
    probes: initial.probes,
    log: createLogger({ level: "silent", redact: (t) => t }),
    redact: (t) => t,
    reload: () => next(),
    cycle: async (probe) => {
      seen.push(probe.paths[0]!.password);
      return { ...configInvalidResult(probe, "stand-in"), ok: true, reason: undefined, paths: [], sinks: [] } as ReportedResult;
    },
  });
  const base = `http://${serving.address}`;
  const trigger = async (token: string) => {
    const res = await fetch(`${base}/probe/reload`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: res.status === 401 ? undefined : ((await res.json()) as ReportedResult) };
  };
  try {
    assert.equal((await trigger(TOKEN_1)).status, 200);
    assert.deepEqual(seen, ["second-password-0"]);
    assert.equal((await trigger(TOKEN_1)).status, 401, "the reload brought a new trigger token");
    next = broken;
    const failed = await trigger(TOKEN_2);
    assert.equal(failed.status, 503);
    assert.equal(failed.body!.reason, "config_invalid");
    assert.deepEqual(seen, ["second-password-0"], "nothing ran");
    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^mailprobe_failure_reason\{probe="reload",path="external",reason="config_invalid"\} 1$/m);
  } finally {
    await serving.stop();
  }
});
