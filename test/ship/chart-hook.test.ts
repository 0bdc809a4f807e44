// The chart's `helm test` hook, rendered with the real helm and run as the kubelet would: the
// init container's command (`validate`) and then the container's (`doctor`), with the config the
// ConfigMap carries and the files the Secret mounts, against this machine's lab.
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse, stringify } from "yaml";
import { relocateLabText } from "../lab/topology.js";
import { repoRoot, runCli } from "../helpers/cli.js";
import { byKind, render } from "../helpers/helm.js";

function renderForLab(mutate: (lab: any) => void = () => undefined) {
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-hook-"));
  const secretsDir = join(dir, "secrets");
  const configDir = join(dir, "etc");
  const lab = parse(relocateLabText(readFileSync(join(repoRoot, "examples", "lab.yaml"), "utf8")));
  const probe = lab.probes[0];
  const kumaUrl = probe.kuma.pushUrl;
  probe.sender.apiKeyFile = join(secretsDir, "brevo-api-key");
  delete probe.sender.apiKey;
  probe.imap.passwordFile = join(secretsDir, "imap-password");
  delete probe.imap.password;
  probe.kuma = { pushUrlFile: join(secretsDir, "kuma-probe") };
  // Push URLs are secrets: the values schema refuses them inline, so each path's comes from the Secret too.
  const pathKuma: Record<string, string> = {};
  for (const path of probe.paths) {
    if (!path.kuma?.pushUrl) continue;
    pathKuma[`kuma-${path.name}`] = path.kuma.pushUrl;
    path.kuma = { pushUrlFile: join(secretsDir, `kuma-${path.name}`) };
  }
  mutate(lab);
  const values = {
    configMountPath: configDir,
    secrets: {
      create: true,
      mountPath: secretsDir,
      data: { "brevo-api-key": "xkeysib-lab-0123456789abcdef-LABKEY", "imap-password": "lab-probe-imap-secret", "kuma-probe": kumaUrl, ...pathKuma },
    },
    config: lab,
  };
  const valuesFile = join(dir, "values.yaml");
  writeFileSync(valuesFile, stringify(values));
  const objs = render([valuesFile]);
  const pod = byKind(objs, "Pod")[0];
  assert.equal(pod.metadata.annotations["helm.sh/hook"], "test");
  // Materialise what the kubelet would mount: the ConfigMap's config.yaml and the Secret's keys.
  const c = pod.spec.containers[0];
  const cm = byKind(objs, "ConfigMap")[0];
  const configMount = c.volumeMounts.find((m: any) => m.name === "config");
  mkdirSync(configDir, { recursive: true });
  writeFileSync(configMount.mountPath, cm.data[configMount.subPath]);
  mkdirSync(secretsDir, { recursive: true });
  for (const [k, v] of Object.entries(byKind(objs, "Secret")[0].stringData)) writeFileSync(join(secretsDir, k), String(v));
  const env = (container: any) => Object.fromEntries((container.env ?? []).filter((e: any) => "value" in e).map((e: any) => [e.name, e.value]));
  return { init: pod.spec.initContainers[0], main: c, env, secretsDir };
}

test("helm test: the hook Pod's validate (init container) then doctor (container) pass against the lab", async () => {
  const { init, main, env } = renderForLab();
  assert.equal(init.args[0], "validate");
  assert.equal(main.args[0], "doctor");
  const v = await runCli(init.args, { env: env(init) });
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(v.stdout, /valid: 1 probe \(inbound\), 2 paths, 1 sender \(brevo\), sinks: pushgateway, kuma \(3 monitors\)/);
  const d = await runCli([...main.args, "--json"], { env: env(main) });
  assert.equal(d.code, 0, d.stdout + d.stderr);
  assert.ok(d.json.checks.length > 5);
  assert.ok(
    d.json.checks.every((c: any) => c.status !== "fail"),
    JSON.stringify(d.json.checks),
  );
});

test("helm test: a config the probe refuses stops the hook at validate (exit 2, the field named)", async () => {
  // Cross-field rule the values schema cannot express: stale sweep shorter than the deadline.
  const { init } = renderForLab((lab) => (lab.probes[0].cleanup.staleAfterSeconds = 10));
  const v = await runCli(init.args, { env: {} });
  assert.equal(v.code, 2, v.stdout + v.stderr);
  assert.match(v.stderr, /probes\[0\]\.cleanup\.staleAfterSeconds/);
});
