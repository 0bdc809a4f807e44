import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { builtins, ConfigError, loadConfig } from "../../src/index.js";

builtins();

const fixtures = new URL("./fixtures/", import.meta.url).pathname;
const secrets = mkdtempSync(join(tmpdir(), "mailprobe-secrets-"));
writeFileSync(join(secrets, "brevo-key"), "xkeysib-from-file\n");
writeFileSync(join(secrets, "imap-password"), "imap-from-file\n");
writeFileSync(join(secrets, "kuma-external"), "https://kuma.example.com/api/push/KumaTok3n\n");
writeFileSync(join(secrets, "empty"), "\n\n");
// Two keys in one file (a pasted rotation): the trailing newline is stripped, the inner one is not.
writeFileSync(join(secrets, "brevo-key-two-lines"), "xkeysib-old-key-0123456789\nxkeysib-new-key-0123456789\n");
// One value in two files (the chart's only form): the token key must still be told apart from it.
writeFileSync(join(secrets, "shared-key"), "shared-secret-0123456789abcdefghijklmnop\n");
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

test("a Kuma push URL as Kuma shows it (?status=up&msg=OK&ping=) is accepted: the query is dropped, the token stays a secret", () => {
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-kuma-"));
  const file = join(dir, "config.yaml");
  const text = readFileSync(join(fixtures, "valid.yaml"), "utf8").replace(
    "pushUrlFile: ${SECRETS}/kuma-external",
    "pushUrl: https://kuma.example.com/api/push/Qu3ryTok?status=up&msg=OK&ping=",
  );
  writeFileSync(file, text);
  const cfg = loadConfig(file, env);
  assert.equal(cfg.probes[0]!.paths[0]!.kuma?.pushUrl, "https://kuma.example.com/api/push/Qu3ryTok");
  assert.ok(cfg.secrets.includes("Qu3ryTok"));
  assert.ok(cfg.secrets.includes("https://kuma.example.com/api/push/Qu3ryTok"));
});

/** valid.yaml with text replaced, loaded with `extra` in the environment. */
function loadVariant(replacements: [string, string][], extra: NodeJS.ProcessEnv = {}) {
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-variant-"));
  const file = join(dir, "config.yaml");
  let text = readFileSync(join(fixtures, "valid.yaml"), "utf8");
  for (const [from, to] of replacements) {
    assert.ok(text.includes(from), from);
    text = text.replace(from, to);
  }
  writeFileSync(file, text);
  return loadConfig(file, { ...env, ...extra });
}

function configIssues(fn: () => unknown): { field: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.issues;
  }
  assert.fail("the config was accepted");
}

test("${VAR} in numeric and boolean fields: well-formed values become numbers and booleans", () => {
  const cfg = loadVariant(
    [
      ["port: 993\n        kuma", "port: ${IMAP_PORT}\n        kuma"],
      ["timeoutSeconds: 60", "timeoutSeconds: ${PROBE_TIMEOUT:-90}"],
      ["pushgateway:\n", "serve:\n  port: ${SERVE_PORT}\n  trigger: { enabled: '${TRIGGER_ON}', bearerToken: tok-0123 }\npushgateway:\n"],
    ],
    { IMAP_PORT: "10993", SERVE_PORT: "9466", TRIGGER_ON: "true" },
  );
  assert.equal(cfg.probes[0]!.paths[0]!.port, 10993);
  assert.equal(cfg.probes[0]!.timeoutMs, 90_000);
  assert.equal(cfg.serve?.port, 9466);
  assert.equal(cfg.serve?.trigger.enabled, true);
});

test("${VAR} coercion: a bad value names the field and the variable; a literal string and an empty value are not coerced", () => {
  const bad = configIssues(() => loadVariant([["port: 993\n        kuma", "port: ${IMAP_PORT}\n        kuma"]], { IMAP_PORT: "99x" }));
  assert.equal(bad.length, 1, JSON.stringify(bad));
  assert.equal(bad[0]!.field, "probes[0].paths[0].port");
  assert.match(bad[0]!.message, /\$\{IMAP_PORT\} is not a number: set IMAP_PORT/);
  assert.doesNotMatch(bad[0]!.message, /99x/, "the value is not repeated (it may be a secret)");
  const boolBad = configIssues(() =>
    loadVariant([["pushgateway:\n", "serve:\n  trigger: { enabled: '${TRIGGER_ON}', bearerToken: tok-0123 }\npushgateway:\n"]], { TRIGGER_ON: "yes" }),
  );
  assert.equal(boolBad[0]!.field, "serve.trigger.enabled");
  assert.match(boolBad[0]!.message, /\$\{TRIGGER_ON\} is not true or false: set TRIGGER_ON/);
  // A quoted number written in the YAML itself is the user's string, not the environment's.
  const literal = configIssues(() => loadVariant([["port: 993\n        kuma", 'port: "993"\n        kuma']]));
  assert.equal(literal[0]!.field, "probes[0].paths[0].port");
  // An empty default never becomes 0.
  const empty = configIssues(() => loadVariant([["port: 993\n        kuma", "port: ${IMAP_PORT:-}\n        kuma"]]));
  assert.equal(empty[0]!.field, "probes[0].paths[0].port");
  assert.match(empty[0]!.message, /IMAP_PORT/);
});

test("received per sender route: a route's fields replace the probe's fields of the same name, the others are inherited", () => {
  const cfg = loadVariant([
    [
      "    to: probe@example.com\n",
      "    watchSender:\n      type: smtp\n      host: 127.0.0.1\n      port: 5587\n      from: probe@example.com\n      received:\n        expectedCidrs: [198.51.100.7/32]\n    to: probe@example.com\n",
    ],
    ["forbiddenCidrs: [10.42.0.0/16]", "forbiddenCidrs: [10.42.0.0/16]\n      expectedCidrs: [1.179.112.0/20]"],
  ]);
  const p = cfg.probes[0]!;
  // The main route: the probe's rules as they are.
  assert.deepEqual(p.received?.expectedCidrs, ["1.179.112.0/20"]);
  assert.deepEqual(p.sender.received, p.received);
  // The watchSender: its own expectedCidrs, the probe's mxHosts and forbiddenCidrs.
  assert.deepEqual(p.watchSender?.received, {
    mxHosts: ["mx.example.com"],
    forbiddenCidrs: ["10.42.0.0/16"],
    expectedCidrs: ["198.51.100.7/32"],
    internalCidrs: [],
    requireTls: false,
  });
  // A route without mxHosts anywhere, or an unknown field in it, is refused naming the field.
  const noMx = configIssues(() =>
    loadVariant([
      ["    received:\n      mxHosts: [mx.example.com]\n      forbiddenCidrs: [10.42.0.0/16]\n", ""],
      ["      from: probe@example.com\n", "      from: probe@example.com\n      received: { forbiddenCidrs: [10.42.0.0/16] }\n"],
    ]),
  );
  assert.equal(noMx[0]!.field, "probes[0].sender.received.mxHosts");
  const typo = configIssues(() =>
    loadVariant([["      from: probe@example.com\n", "      from: probe@example.com\n      received: { expectedCidr: [10.0.0.0/8] }\n"]]),
  );
  assert.match(typo[0]!.field, /^probes\[0\]\.sender\.received/);
});
