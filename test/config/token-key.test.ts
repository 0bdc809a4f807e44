// The token MAC key (config `tokenKey`/`tokenKeyFile`) and the trigger's rate limit, as loaded.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { builtins, resolveConfig } from "../../src/index.js";

builtins();

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
  const key = "7c1e94a0b3f25d68c9e071a4b2d35f8e6a90c1d7e24b58f3a06c9d1e72b4f580";
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

test('tokenKey: a key of few different characters is refused ("aaaa…", "0f0f…"), every `openssl rand -hex 32` kind of key is accepted', () => {
  for (const key of ["a".repeat(64), "0f".repeat(32), "0123456789".slice(0, 9).repeat(8)]) {
    assert.throws(
      () => resolveConfig({ ...base(), tokenKey: key }, {}),
      (err: Error) => /tokenKey/.test(err.message) && /fewer than 10 different characters/.test(err.message),
      key,
    );
  }
  // Random hex keys as the README makes them: none refused (fewer than 10 of 16 digits in 64 draws: ~1e-12).
  for (let i = 0; i < 2000; i++) {
    const key = randomBytes(32).toString("hex");
    assert.equal(resolveConfig({ ...base(), tokenKey: key }, {}).probes[0]!.tokenKey, key);
  }
});
