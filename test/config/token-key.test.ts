// The token MAC key (config `tokenKey`/`tokenKeyFile`) and the trigger's rate limit, as loaded.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { resolveConfig } from "../../src/index.js";

const base = () => ({
  probes: [
    {
      name: "inbound",
      sender: { type: "brevo", apiKey: "xkeysib-unit-0123456789", from: "probe@example.com" },
      to: "probe@example.com",
      imap: { user: "probe@example.com", password: "imap-password-unit" },
      paths: [{ name: "external", host: "203.0.113.10" }],
    },
  ],
});

test("tokenKeyFile: read, given to every probe, and a secret (redacted like the others)", () => {
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-key-"));
  const key = "0f".repeat(32);
  writeFileSync(join(dir, "token-key"), `${key}\n`);
  const cfg = resolveConfig({ ...base(), tokenKeyFile: join(dir, "token-key") }, {});
  assert.equal(cfg.probes[0]!.tokenKey, key);
  assert.ok(cfg.secrets.includes(key));
});

test("no tokenKey: accepted (the run warns), the probe carries none", () => {
  const cfg = resolveConfig(base(), {});
  assert.equal(cfg.probes[0]!.tokenKey, undefined);
});

test("serve.trigger.minIntervalSeconds: 60 s by default, configurable", () => {
  const on = { enabled: true, bearerToken: "trigger-token-unit" };
  assert.equal(resolveConfig({ ...base(), serve: { trigger: on } }, {}).serve!.trigger.minIntervalMs, 60_000);
  assert.equal(resolveConfig({ ...base(), serve: { trigger: { ...on, minIntervalSeconds: 5 } } }, {}).serve!.trigger.minIntervalMs, 5_000);
});
