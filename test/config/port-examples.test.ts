// A config error names the field and shows a right value (src/config/issues.ts). The examples were
// looked up by the field's last name only, so every `port` error suggested IMAPS's 993: serve's
// listener ("serve.port: Too big … (e.g. port: 993)"), the SMTP sender's submission port and a relay
// check's port too. The example now depends on where the port is.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { exampleFor } from "../../src/config/issues.js";
import { builtins, ConfigError, loadConfig } from "../../src/index.js";

builtins();

test("each port's example fits that port", () => {
  assert.equal(exampleFor("serve.port"), "9465");
  assert.equal(exampleFor("probes[0].sender.port"), "587");
  assert.equal(exampleFor("probes[2].watchSender.port"), "587");
  assert.equal(exampleFor("probes[0].relayCheck[1].port"), "25");
  assert.equal(exampleFor("probes[0].paths[1].port"), "993");
  assert.equal(exampleFor("defaults.imap.port"), "993");
  assert.equal(exampleFor("probes[0].paths[0].passwordFile"), exampleFor("probes[0].paths[0].password"));
});

test("serve.port out of range: the error's example is serve's port, not IMAPS's", () => {
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-port-example-"));
  const file = join(dir, "c.yaml");
  writeFileSync(
    file,
    `tokenKey: "${"ab".repeat(32)}"
serve: { port: 70000 }
probes:
  - name: x
    sender: { type: smtp, host: smtp.example.com, port: 99999, from: a@example.com }
    to: probe@example.com
    paths: [{ name: a, host: imap.example.com, port: 993, user: u, password: p }]
`,
  );
  const err = (() => {
    try {
      loadConfig(file, {});
    } catch (e) {
      return e;
    }
  })();
  assert.ok(err instanceof ConfigError, String(err));
  assert.match(err.message, /serve\.port: .*\(e\.g\. port: 9465\)/);
  assert.match(err.message, /probes\[0\]\.sender\.port: .*\(e\.g\. port: 587\)/);
});
