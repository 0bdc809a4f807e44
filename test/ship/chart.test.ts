// The Helm chart, with the real helm: lint --strict and template for the default, serve and full
// values; every rendered object validated against the Kubernetes (and prometheus-operator) schemas;
// the CronJob's own command and config run against the lab.
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse, stringify } from "yaml";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";
import { repoRoot, runCli } from "../helpers/cli.js";
import { byKind, chartDir, helm, render } from "../helpers/helm.js";

const MODELS: Record<string, new (o: any) => { validate(): void }> = {
  ConfigMap,
  Secret,
  Service,
  ServiceAccount,
  Deployment,
  CronJob,
  NetworkPolicy,
  PrometheusRule,
  ServiceMonitor,
};
const serveValues = join(chartDir, "ci", "serve-values.yaml");
const fullValues = join(chartDir, "ci", "full-values.yaml");
const minimalValues = join(repoRoot, "examples", "helm", "minimal-values.yaml");

function validateAll(objs: any[]) {
  assert.ok(objs.length > 0);
  for (const o of objs) {
    const Model = MODELS[o.kind];
    assert.ok(Model, `a schema for ${o.kind}`);
    assert.doesNotThrow(() => new Model(o).validate(), `${o.kind} ${o.metadata?.name} matches the schema`);
  }
}

function assertHardened(pod: any) {
  assert.equal(pod.securityContext.runAsNonRoot, true);
  assert.equal(typeof pod.securityContext.runAsUser, "number");
  assert.equal(pod.securityContext.seccompProfile.type, "RuntimeDefault");
  const c = pod.containers[0];
  assert.equal(c.securityContext.readOnlyRootFilesystem, true);
  assert.equal(c.securityContext.allowPrivilegeEscalation, false);
  assert.deepEqual(c.securityContext.capabilities.drop, ["ALL"]);
  assert.ok(c.resources.requests.memory && c.resources.limits.memory);
  assert.ok(
    c.volumeMounts.some((m: any) => m.mountPath === "/tmp"),
    "a writable /tmp",
  );
}

test("helm lint --strict passes for the default, serve, full and minimal example values", () => {
  for (const f of [[], [serveValues], [fullValues], [minimalValues]]) {
    const out = helm(["lint", "--strict", chartDir, ...f.flatMap((x) => ["-f", x])]);
    assert.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  }
});

test("default: a hardened CronJob every 20 minutes, Forbid, deadlines, config checksum, valid objects", () => {
  const objs = render();
  validateAll(objs);
  assert.deepEqual(objs.map((o) => o.kind).sort(), ["ConfigMap", "CronJob", "ServiceAccount"]);
  const cj = byKind(objs, "CronJob")[0];
  assert.equal(cj.spec.schedule, "*/20 * * * *");
  assert.equal(cj.spec.concurrencyPolicy, "Forbid");
  assert.equal(cj.spec.startingDeadlineSeconds, 300);
  assert.equal(cj.spec.successfulJobsHistoryLimit, 3);
  assert.equal(cj.spec.failedJobsHistoryLimit, 3);
  const job = cj.spec.jobTemplate.spec;
  assert.equal(job.backoffLimit, 0);
  assert.equal(job.activeDeadlineSeconds, 180, "the probe's 120 s deadline + 60");
  const pod = job.template.spec;
  assert.equal(pod.restartPolicy, "Never");
  assertHardened(pod);
  assert.deepEqual(pod.containers[0].args, ["run", "--config", "/etc/mailprobe/config.yaml"]);
  assert.match(pod.containers[0].image, /:0\.1\.0$/, "the appVersion tag");
  // A config change rolls a new checksum into the pod template.
  const sum = job.template.metadata.annotations["checksum/config"];
  const other = byKind(render([], ["config.probes[0].timeoutSeconds=300"]), "CronJob")[0];
  assert.notEqual(other.spec.jobTemplate.spec.template.metadata.annotations["checksum/config"], sum);
  assert.equal(other.spec.jobTemplate.spec.activeDeadlineSeconds, 360);
});

test("serve mode: Deployment + Service + ServiceMonitor, health probes on /healthz and /readyz", () => {
  const objs = render([serveValues]);
  validateAll(objs);
  assert.equal(byKind(objs, "CronJob").length, 0);
  const dep = byKind(objs, "Deployment")[0];
  const c = dep.spec.template.spec.containers[0];
  assert.deepEqual(c.args, ["serve", "--config", "/etc/mailprobe/config.yaml"]);
  assert.equal(c.livenessProbe.httpGet.path, "/healthz");
  assert.equal(c.readinessProbe.httpGet.path, "/readyz");
  assert.equal(c.ports[0].containerPort, 9465);
  assertHardened(dep.spec.template.spec);
  assert.equal(dep.spec.template.spec.terminationGracePeriodSeconds, 45, "above shutdownGraceSeconds");
  const cfg = parse(byKind(objs, "ConfigMap")[0].data["config.yaml"]);
  assert.deepEqual({ listen: cfg.serve.listen, port: cfg.serve.port }, { listen: "0.0.0.0", port: 9465 });
  assert.equal(byKind(objs, "Service")[0].spec.ports[0].targetPort, "metrics");
  assert.equal(byKind(objs, "ServiceMonitor")[0].spec.endpoints[0].port, "metrics");
});

test("full values: Secret, CA bundle, NetworkPolicy egress, PrometheusRule; all valid", () => {
  const objs = render([fullValues]);
  validateAll(objs);
  const pod = byKind(objs, "CronJob")[0].spec.jobTemplate.spec.template.spec;
  assert.equal(byKind(objs, "CronJob")[0].spec.jobTemplate.spec.activeDeadlineSeconds, 400);
  assert.ok(pod.volumes.some((v: any) => v.secret?.secretName === "mp-mailprobe"));
  assert.ok(pod.containers[0].env.some((e: any) => e.name === "NODE_EXTRA_CA_CERTS" && e.value === "/etc/mailprobe/ca/ca.crt"));
  const np = byKind(objs, "NetworkPolicy")[0];
  assert.deepEqual(np.spec.policyTypes, ["Egress"]);
  assert.deepEqual(
    np.spec.egress.map((e: any) => e.ports.map((p: any) => p.port)),
    [[53, 53], [993, 10993, 587], [443]],
  );
  const rules = byKind(objs, "PrometheusRule")[0].spec.groups[0].rules.map((r: any) => r.alert);
  assert.deepEqual(rules, [
    "MailprobePathFailing",
    "MailprobePathNeverSucceeded",
    "MailprobeRealClientIpLost",
    "MailprobeStale",
    "MailprobeAbsent",
    "MailprobeRoundtripSlow",
    "MailprobeTlsCertExpiringSoon",
  ]);
  assert.equal(byKind(objs, "Secret")[0].stringData["brevo-api-key"], "xkeysib-example");
});

test("the CronJob's command and config, rendered for the lab, run a healthy probe with the CLI", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-chart-"));
  const secretsDir = join(dir, "secrets");
  const configDir = join(dir, "etc");
  const lab = parse(readFileSync(join(repoRoot, "examples", "lab.yaml"), "utf8"));
  const probe = lab.probes[0];
  probe.name = "chart_lab";
  probe.sender.apiKeyFile = join(secretsDir, "brevo-api-key");
  delete probe.sender.apiKey;
  probe.imap.passwordFile = join(secretsDir, "imap-password");
  delete probe.imap.password;
  probe.kuma = { pushUrlFile: join(secretsDir, "kuma-probe") };
  for (const p of probe.paths) delete p.kuma;
  const values = {
    configMountPath: configDir,
    secrets: {
      create: true,
      mountPath: secretsDir,
      data: {
        "brevo-api-key": "xkeysib-lab-0123456789abcdef-LABKEY",
        "imap-password": "lab-probe-imap-secret",
        "kuma-probe": "http://127.0.0.1:24081/api/push/labprobe",
      },
    },
    config: lab,
  };
  const valuesFile = join(dir, "values.yaml");
  writeFileSync(valuesFile, stringify(values));
  const objs = render([valuesFile]);
  validateAll(objs);

  // Materialise what the kubelet would mount: the ConfigMap's config.yaml and the Secret's keys.
  const c = byKind(objs, "CronJob")[0].spec.jobTemplate.spec.template.spec.containers[0];
  const cm = byKind(objs, "ConfigMap")[0];
  const configMount = c.volumeMounts.find((m: any) => m.name === "config");
  mkdirSync(configDir, { recursive: true });
  writeFileSync(configMount.mountPath, cm.data[configMount.subPath]);
  mkdirSync(secretsDir, { recursive: true });
  for (const [k, v] of Object.entries(byKind(objs, "Secret")[0].stringData)) writeFileSync(join(secretsDir, k), String(v));

  const res = await runCli([...c.args, "--json"], { env: { MAILPROBE_LOG_LEVEL: c.env.find((e: any) => e.name === "MAILPROBE_LOG_LEVEL").value } });
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.equal(res.json.probes[0].probe, "chart_lab");
  assert.ok(res.json.probes[0].paths.every((p: any) => p.ok));
  assert.ok(
    res.json.probes[0].sinks.every((s: any) => s.ok),
    JSON.stringify(res.json.probes[0].sinks),
  );
});
