// `mailprobe validate`: the whole load and validation, secret files included, and no network.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { labConfig, runCli } from "../helpers/cli.js";

test("validate: exit 0 with a one-line summary (probes, paths, senders, sinks); --json; nothing is connected to", async (t) => {
  // Every address of the config points at one loopback listener of ours that counts connections.
  let connections = 0;
  const server = createServer((s) => {
    connections++;
    s.destroy();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-validate-"));
  writeFileSync(join(dir, "imap-password"), "from-a-file-0123\n");
  const file = labConfig((cfg) => {
    const p = cfg.probes[0];
    cfg.pushgateway.url = `http://127.0.0.1:${port}`;
    p.sender.baseUrl = `http://127.0.0.1:${port}/v3`;
    delete p.imap.password;
    p.imap.passwordFile = join(dir, "imap-password");
    for (const path of p.paths) {
      path.port = port;
      path.kuma.pushUrl = `http://127.0.0.1:${port}/api/push/tok-${path.name}`;
    }
    p.kuma.pushUrl = `http://127.0.0.1:${port}/api/push/tok-probe`;
    p.watchSender = { type: "smtp", host: "127.0.0.1", port, from: "probe@sender.lab.test" };
  });
  const human = await runCli(["validate", "--config", file]);
  assert.equal(human.code, 0, human.stderr);
  assert.equal(human.stdout, `${file}: valid: 1 probe (inbound), 2 paths, 2 senders (brevo, smtp), sinks: pushgateway, kuma (3 monitors)\n`);
  const json = await runCli(["validate", "--config", file, "--json"]);
  assert.equal(json.code, 0);
  assert.deepEqual(
    { probes: json.json.probes, paths: json.json.paths, senders: json.json.senders, ok: json.json.ok },
    { probes: ["inbound"], paths: 2, senders: ["brevo", "smtp"], ok: true },
  );
  assert.equal(connections, 0, "validate connects to nothing");
});

test("validate: a missing secret file and a bad field exit 2 naming the fields (JSON issues with --json)", async () => {
  const file = labConfig((cfg) => {
    delete cfg.probes[0].imap.password;
    cfg.probes[0].imap.passwordFile = "/nonexistent/imap-password";
    cfg.probes[0].paths[0].port = 70000;
  });
  const r = await runCli(["validate", "--config", file]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /probes\[0\]\.paths\[0\]\.port/);
  const j = await runCli(["validate", "--config", file, "--json"]);
  assert.equal(j.code, 2);
  assert.equal(j.json.ok, false);
  const fields = j.json.issues.map((i: any) => i.field);
  assert.ok(fields.includes("probes[0].paths[0].port"), fields.join(", "));
  // With the schema satisfied, the secret files are read: a missing one is named.
  const secretMissing = labConfig((cfg) => {
    delete cfg.probes[0].imap.password;
    cfg.probes[0].imap.passwordFile = "/nonexistent/imap-password";
  });
  const s = await runCli(["validate", "--config", secretMissing]);
  assert.equal(s.code, 2);
  // Reported where it is written (inherited by both paths), once.
  assert.equal(s.stderr.match(/probes\[0\]\.imap\.passwordFile: cannot read \/nonexistent\/imap-password: ENOENT/g)?.length, 1, s.stderr);
});
