// examples/homelab.yaml loads with today's schema, its secret files stubbed: a copy whose
// /run/secrets/mailprobe/… paths point at temp files. It cannot rot unnoticed.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { builtins, loadConfig } from "../../src/index.js";

builtins();

const example = new URL("../../examples/homelab.yaml", import.meta.url).pathname;

test("examples/homelab.yaml loads: Brevo route, external/internal/direct-alt paths, SMTP watchSender via 5587, realistic CIDRs", () => {
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-homelab-"));
  const text = readFileSync(example, "utf8");
  const files = [...new Set([...text.matchAll(/\/run\/secrets\/mailprobe\/([a-z0-9-]+)/g)].map((m) => m[1]!))];
  assert.deepEqual(files.sort(), ["brevo-api-key", "imap-password", "kuma-external", "kuma-internal", "kuma-probe", "token-key"]);
  const stub = (f: string) =>
    f.startsWith("kuma-")
      ? `https://kuma.example.com/api/push/${f}Tok3n\n`
      : f === "token-key"
        ? `${"5e8a1f03c7d94b26e0a7f3c58d12b96e4f0a7c3d91e5b28f6c04a9d7e13b5f28"}\n`
        : `stub-${f}\n`;
  for (const f of files) writeFileSync(join(dir, f), stub(f));
  const copy = join(dir, "homelab.yaml");
  writeFileSync(copy, text.replaceAll("/run/secrets/mailprobe/", `${dir}/`));

  const cfg = loadConfig(copy, {});
  const p = cfg.probes[0]!;
  assert.equal(p.tokenKey, "5e8a1f03c7d94b26e0a7f3c58d12b96e4f0a7c3d91e5b28f6c04a9d7e13b5f28", "the token key from its Secret file");
  assert.equal(p.sender.type, "brevo");
  assert.equal(p.sender.type === "brevo" && p.sender.apiKey, "stub-brevo-api-key");
  assert.equal(p.watchSender?.type, "smtp");
  assert.equal(p.watchSender?.type === "smtp" && p.watchSender.port, 5587);
  assert.ok(p.watchSender?.type === "smtp" && (p.watchSender as { proxyProtocol?: { sourceAddress: string } }).proxyProtocol?.sourceAddress);
  const paths = Object.fromEntries(p.paths.map((x) => [x.name, x]));
  assert.deepEqual(Object.keys(paths), ["external", "internal", "direct-alt"]);
  assert.deepEqual([paths.external!.host, paths.external!.port], ["mail.example.com", 993]);
  assert.deepEqual([paths.internal!.host, paths.internal!.port, paths.internal!.servername], ["dovecot.mail.svc.cluster.local", 993, "mail.example.com"]);
  assert.equal(paths["direct-alt"]!.port, 10993);
  assert.ok(paths["direct-alt"]!.proxyProtocol?.sourceAddress);
  assert.equal(paths.internal!.password, "stub-imap-password");
  assert.ok(paths.external!.kuma?.pushUrl.includes("kuma-externalTok3n"));
  assert.ok(p.kuma?.pushUrl);
  for (const c of ["10.42.0.0/16", "10.43.0.0/16", "192.168.1.0/24", "192.168.1.1/32"]) assert.ok(p.received?.forbiddenCidrs.includes(c), c);
  // Each route its own expected addresses: Brevo's ranges for the sender, the claimed address for the watchSender.
  const claimed = `${(p.watchSender as { proxyProtocol?: { sourceAddress: string } }).proxyProtocol?.sourceAddress}/32`;
  assert.deepEqual(p.watchSender?.received?.expectedCidrs, [claimed]);
  assert.deepEqual(p.watchSender?.received?.forbiddenCidrs, p.received?.forbiddenCidrs);
  assert.ok(!p.received?.expectedCidrs.includes(claimed));
  assert.equal(cfg.pushgateway?.deployment, "mailprobe-home");
  assert.equal(cfg.pushgateway?.url, "http://prometheus-pushgateway.monitoring:9091");
});
