import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ConfigError, loadConfig } from "../../src/index.js";

const fixtures = new URL("./fixtures/", import.meta.url).pathname;
const secrets = mkdtempSync(join(tmpdir(), "mailprobe-secrets-"));
writeFileSync(join(secrets, "brevo-key"), "xkeysib-from-file\n");
writeFileSync(join(secrets, "imap-password"), "imap-from-file\n");
writeFileSync(join(secrets, "kuma-external"), "https://kuma.example.com/api/push/KumaTok3n\n");
const env = { SECRETS: secrets };

test("a valid config: defaults merged into paths, secrets read from files, ${ENV:-default} used", () => {
  const cfg = loadConfig(join(fixtures, "valid.yaml"), env);
  const p = cfg.probes[0]!;
  assert.equal(p.sender.type, "brevo");
  assert.equal(p.sender.type === "brevo" && p.sender.apiKey, "xkeysib-from-file");
  assert.equal(p.sender.type === "brevo" && p.sender.baseUrl, "https://api.brevo.com/v3");
  assert.equal(p.paths[0]!.password, "imap-from-file");
  assert.equal(p.paths[1]!.password, "fallback-password");
  assert.equal(p.paths[0]!.servername, "mx.example.com");
  assert.equal(p.paths[0]!.kuma?.pushUrl, "https://kuma.example.com/api/push/KumaTok3n");
  assert.equal(p.paths[0]!.mailbox, "INBOX");
  assert.equal(p.timeoutMs, 60_000);
  assert.equal(cfg.pushgateway?.job, "mailprobe");
  for (const s of ["xkeysib-from-file", "imap-from-file", "fallback-password", "KumaTok3n"]) assert.ok(cfg.secrets.includes(s), s);
});

for (const file of readdirSync(join(fixtures, "invalid")).sort()) {
  test(`invalid config ${file}: names the field and says what is wrong`, () => {
    const path = join(fixtures, "invalid", file);
    const [, field, message] = /^# expect: (\S+) :: (.*)$/m.exec(readFileSync(path, "utf8"))!;
    assert.throws(
      () => loadConfig(path, env),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError, String(err));
        const hit = err.issues.find((i) => i.field === field || i.field.startsWith(`${field} `) || (field === "line" && i.field.startsWith("line ")));
        assert.ok(hit, `no issue for ${field} in: ${JSON.stringify(err.issues)}`);
        assert.match(hit.message, new RegExp(message!));
        assert.match(err.message, new RegExp(field!.replace(/[[\].]/g, "\\$&")));
        return true;
      },
    );
  });
}

test("the lab's example config is valid", () => {
  const cfg = loadConfig(new URL("../../examples/lab.yaml", import.meta.url).pathname, {});
  assert.deepEqual(
    cfg.probes.map((p) => p.paths.map((x) => x.name)),
    [["external", "internal"]],
  );
});
