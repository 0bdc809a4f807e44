// The Helm chart, with the real helm: lint --strict and template for the default, serve and full
// values; every rendered object validated against the Kubernetes (and prometheus-operator) schemas;
// the CronJob's own command and config run against the lab.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
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
import { Pod } from "kubernetes-models/v1/Pod";
import { repoRoot, runCli } from "../helpers/cli.js";
import { relocateLabText } from "../lab/topology.js";
import { byKind, chartDir, defaultValues, helm, render, renderValues } from "../helpers/helm.js";

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
  Pod,
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
  assert.deepEqual(objs.map((o) => o.kind).sort(), ["ConfigMap", "CronJob", "Pod", "ServiceAccount"]);
  const cj = byKind(objs, "CronJob")[0];
  assert.equal(cj.spec.schedule, "*/20 * * * *");
  assert.equal(cj.spec.concurrencyPolicy, "Forbid");
  assert.equal(cj.spec.startingDeadlineSeconds, 300);
  assert.equal(cj.spec.successfulJobsHistoryLimit, 3);
  assert.equal(cj.spec.failedJobsHistoryLimit, 3);
  const job = cj.spec.jobTemplate.spec;
  assert.equal(job.backoffLimit, 0);
  assert.equal(job.activeDeadlineSeconds, 165, "the probe's 120 s deadline + cleanup 10 s + sink budget 5 s + 30 s margin");
  const pod = job.template.spec;
  assert.equal(pod.restartPolicy, "Never");
  assertHardened(pod);
  assert.deepEqual(pod.containers[0].args, ["run", "--config", "/etc/mailprobe/config.yaml"]);
  assert.match(pod.containers[0].image, /:0\.1\.0$/, "the appVersion tag");
  // A config change rolls a new checksum into the pod template.
  const sum = job.template.metadata.annotations["checksum/config"];
  const config = defaultValues().config;
  config.probes[0].timeoutSeconds = 300;
  const other = byKind(renderValues({ config }), "CronJob")[0];
  assert.notEqual(other.spec.jobTemplate.spec.template.metadata.annotations["checksum/config"], sum);
  assert.equal(other.spec.jobTemplate.spec.activeDeadlineSeconds, 345);
  // The slowest sink's timeout is the sink budget; a ${VAR:-N} timeout counts as its own default N.
  config.pushgateway.timeoutSeconds = 20;
  config.probes[0].timeoutSeconds = "${PROBE_TIMEOUT:-300}";
  const slowSink = byKind(renderValues({ config }), "CronJob")[0];
  assert.equal(slowSink.spec.jobTemplate.spec.activeDeadlineSeconds, 300 + 10 + 20 + 30);
  config.probes[0].timeoutSeconds = "${PROBE_TIMEOUT:-90.5}";
  assert.equal(byKind(renderValues({ config }), "CronJob")[0].spec.jobTemplate.spec.activeDeadlineSeconds, 91 + 10 + 20 + 30);
  // A ${VAR} without a default is known only at run time: the render fails naming it, unless the deadline is set.
  config.probes[0].timeoutSeconds = "${PROBE_TIMEOUT}";
  assert.throws(
    () => renderValues({ config }),
    (e: any) => /timeoutSeconds of probe \S+ is \$\{PROBE_TIMEOUT\}: .*cronjob\.activeDeadlineSeconds/.test(String(e.stderr)),
  );
  assert.equal(byKind(renderValues({ config, cronjob: { activeDeadlineSeconds: 700 } }), "CronJob")[0].spec.jobTemplate.spec.activeDeadlineSeconds, 700);
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
  assert.equal(dep.spec.template.spec.terminationGracePeriodSeconds, 30 + 5 + 5, "shutdownGraceSeconds + sink budget + 5 s");
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
    "MailprobeRealClientIpUnexpected",
    "MailprobeStale",
    "MailprobeRunsStopped",
    "MailprobeAbsent",
    "MailprobeRoundtripSlow",
    "MailprobeTlsCertExpiringSoon",
    "MailprobeAuthFailed",
    "MailprobeSpamScoreHigh",
    "MailprobeOpenRelay",
    "MailprobeRelaysForLan",
    "MailprobeRelayCheckFailed",
    "MailprobeSmtpCertExpiringSoon",
    "MailprobeBrevoCreditsLow",
    "MailprobeLeftBehind",
    "MailprobeRunOverrun",
    "MailprobeWedged",
  ]);
  assert.equal(pod.priorityClassName, "mail-probes");
  assert.equal(byKind(objs, "Secret")[0].stringData["brevo-api-key"], "xkeysib-example");
  // No hash of the Secret's data in any pod annotation (issue 18 item 9: an offline guessing oracle).
  // (helm's toJson of the values' map is JSON.stringify's text here: sorted keys, no escapes needed.)
  const data = parse(readFileSync(fullValues, "utf8")).secrets.data;
  const digests = [JSON.stringify(data), ...Object.values(data)].map((t) => createHash("sha256").update(String(t)).digest("hex"));
  const annotations = JSON.stringify(byKind(objs, "CronJob")[0].spec.jobTemplate.spec.template.metadata.annotations);
  assert.doesNotMatch(annotations, /checksum\/secret/);
  for (const d of digests) assert.ok(!annotations.includes(d), "a SHA-256 of the Secret's data is in the pod's annotations");
});

test("alert rules: each switchable, extra labels on every alert, a runbook_url to a docs/runbook.md section", () => {
  const runbook = readFileSync(join(repoRoot, "docs", "runbook.md"), "utf8");
  const rulesOf = (set: string[]) => byKind(render([fullValues], set), "PrometheusRule")[0].spec.groups[0].rules;
  const all = rulesOf(["prometheusRule.alertLabels.team=mail"]);
  for (const r of all) {
    assert.equal(r.labels.team, "mail", r.alert);
    assert.ok(r.labels.severity, r.alert);
    const [base, anchor] = r.annotations.runbook_url.split("#");
    assert.equal(base, "https://github.com/mailprobe/mailprobe/blob/main/docs/runbook.md");
    assert.equal(anchor, r.alert.toLowerCase());
    assert.match(runbook, new RegExp(`^## ${r.alert}$`, "m"), `docs/runbook.md has a section ## ${r.alert}`);
  }
  const some = rulesOf(["prometheusRule.rules.MailprobeStale.enabled=false", "prometheusRule.rules.MailprobeWedged.enabled=false"]).map((r: any) => r.alert);
  assert.equal(some.length, all.length - 2);
  assert.ok(!some.includes("MailprobeStale") && !some.includes("MailprobeWedged"));
  // An alert label cannot override the rule's own severity.
  assert.equal(rulesOf(["prometheusRule.alertLabels.severity=info"]).find((r: any) => r.alert === "MailprobeOpenRelay").labels.severity, "critical");
});

test("names, image digest, extra volumes, priority class, ServiceMonitor namespace and relabelings", () => {
  const pod = (objs: any[]) => byKind(objs, "CronJob")[0].spec.jobTemplate.spec.template.spec;
  assert.equal(byKind(render([], ["nameOverride=probe"]), "CronJob")[0].metadata.name, "mp-probe");
  assert.equal(byKind(render([], ["nameOverride=probe"]), "CronJob")[0].metadata.labels["app.kubernetes.io/name"], "probe");
  assert.equal(byKind(render([], ["fullnameOverride=mailcheck"]), "CronJob")[0].metadata.name, "mailcheck");
  const digest = "sha256:" + "ab".repeat(32);
  assert.equal(
    pod(render([], [`image.digest=${digest}`, "image.tag=9.9.9"])).containers[0].image,
    `ghcr.io/mailprobe/mailprobe@${digest}`,
    "the digest wins over the tag",
  );
  assert.equal(pod(render([], ["image.tag=9.9.9"])).containers[0].image, "ghcr.io/mailprobe/mailprobe:9.9.9");
  const extra = renderValues({
    priorityClassName: "mail-critical",
    extraVolumes: [{ name: "dkim", secret: { secretName: "dkim" } }],
    extraVolumeMounts: [{ name: "dkim", mountPath: "/etc/dkim", readOnly: true }],
  });
  validateAll(extra);
  const p = pod(extra);
  assert.equal(p.priorityClassName, "mail-critical");
  assert.deepEqual(p.volumes.at(-1), { name: "dkim", secret: { secretName: "dkim" } });
  assert.deepEqual(p.containers[0].volumeMounts.at(-1), { name: "dkim", mountPath: "/etc/dkim", readOnly: true });
  const sm = byKind(
    renderValues(
      {
        serve: {
          serviceMonitor: {
            namespace: "monitoring",
            relabelings: [{ targetLabel: "cluster", replacement: "home" }],
            metricRelabelings: [{ action: "drop", regex: "nodejs_.*", sourceLabels: ["__name__"] }],
          },
        },
      },
      [serveValues],
    ),
    "ServiceMonitor",
  )[0];
  validateAll([sm]);
  assert.equal(sm.metadata.namespace, "monitoring");
  assert.deepEqual(sm.spec.namespaceSelector, { matchNames: ["mail"] });
  assert.equal(sm.spec.endpoints[0].relabelings[0].targetLabel, "cluster");
  assert.equal(sm.spec.endpoints[0].metricRelabelings[0].action, "drop");
});

test("helm test: a hook Pod runs validate (init container) then doctor with the CronJob's security context, volumes and secrets", () => {
  for (const values of [[fullValues], [serveValues]]) {
    const objs = render(values);
    validateAll(objs);
    const t = byKind(objs, "Pod")[0];
    assert.equal(t.metadata.annotations["helm.sh/hook"], "test");
    const spec = t.spec;
    assert.equal(spec.restartPolicy, "Never");
    assert.deepEqual(spec.initContainers[0].args, ["validate", "--config", "/etc/mailprobe/config.yaml"]);
    assert.deepEqual(spec.containers[0].args, ["doctor", "--config", "/etc/mailprobe/config.yaml"]);
    const workload = byKind(objs, "CronJob")[0]?.spec.jobTemplate.spec.template.spec ?? byKind(objs, "Deployment")[0].spec.template.spec;
    assert.deepEqual(spec.volumes, workload.volumes);
    assert.deepEqual(spec.securityContext, workload.securityContext);
    for (const c of [spec.initContainers[0], spec.containers[0]]) {
      assert.deepEqual(c.volumeMounts, workload.containers[0].volumeMounts);
      assert.deepEqual(c.securityContext, workload.containers[0].securityContext);
      assert.deepEqual(c.env, workload.containers[0].env);
      assert.equal(c.image, workload.containers[0].image);
    }
  }
  assert.equal(byKind(render([], ["helmTest.enabled=false"]), "Pod").length, 0);
});

test("token key: taken from the existing Secret, or generated into the created one; tokenKeyFile set unless the config has one", () => {
  const cfgOf = (objs: any[]) => parse(byKind(objs, "ConfigMap").find((c) => c.data["config.yaml"]).data["config.yaml"]);
  // On by default (the product reads tokenKeyFile); it can be turned off.
  assert.equal(cfgOf(render([fullValues])).tokenKeyFile, "/run/secrets/mailprobe/token-key");
  assert.equal(cfgOf(render([fullValues], ["tokenKey.enabled=false"])).tokenKeyFile, undefined);
  // An existing Secret: its key token-key is mounted with the others; the config points at it.
  const existing = render([serveValues]);
  assert.equal(cfgOf(existing).tokenKeyFile, "/run/secrets/mailprobe/token-key");
  assert.equal(byKind(existing, "Secret").length, 0);
  // secrets.create: generated (64 characters), different on each render without a cluster to look
  // it up in — the lookup that keeps it across `helm upgrade` returns nothing under helm template,
  // which is why GitOps renders must put token-key in secrets.data. That branch is not tested here.
  const key = (objs: any[]) => byKind(objs, "Secret")[0].stringData["token-key"];
  const a = render([fullValues], ["tokenKey.enabled=true"]);
  assert.match(key(a), /^[A-Za-z0-9]{64}$/);
  assert.notEqual(key(render([fullValues], ["tokenKey.enabled=true"])), key(a));
  assert.equal(cfgOf(a).tokenKeyFile, "/run/secrets/mailprobe/token-key");
  // A supplied key is kept as it is.
  const given = "0123456789abcdef".repeat(4);
  assert.equal(key(render([fullValues], ["tokenKey.enabled=true", `secrets.data.token-key=${given}`])), given);
  // The user's own tokenKeyFile wins (the values schema knows the field: it comes from the config schema).
  const own = helm(["template", "mp", chartDir, "-f", fullValues, "--set", "tokenKey.enabled=true", "--set", "config.tokenKeyFile=/etc/own-key"]);
  assert.match(own, /tokenKeyFile: \/etc\/own-key/);
  assert.doesNotMatch(own, /tokenKeyFile: \/run\/secrets/);
});

test("the dashboard ConfigMap for Grafana's sidecar carries dashboards/mailprobe.json as it is", () => {
  const file = readFileSync(join(repoRoot, "dashboards", "mailprobe.json"), "utf8");
  assert.equal(
    readFileSync(join(chartDir, "files", "mailprobe.json"), "utf8"),
    file,
    "charts/mailprobe/files/mailprobe.json is a copy of dashboards/mailprobe.json: cp it",
  );
  assert.equal(byKind(render(), "ConfigMap").length, 1, "off by default");
  const objs = render([], ["dashboard.enabled=true", "dashboard.namespace=monitoring", "dashboard.annotations.grafana_folder=Mail"]);
  validateAll(objs);
  const cm = byKind(objs, "ConfigMap").find((c) => c.metadata.name === "mp-mailprobe-dashboard");
  assert.equal(cm.metadata.labels.grafana_dashboard, "1");
  assert.equal(cm.metadata.namespace, "monitoring");
  assert.equal(cm.metadata.annotations.grafana_folder, "Mail");
  assert.deepEqual(JSON.parse(cm.data["mailprobe.json"]), JSON.parse(file));
});

test("NOTES: each mode says how to run one probe and that it sends mail; only helm test is offered as a check without sending", () => {
  const notes = (args: string[]) => {
    const out = helm(["install", "mp", chartDir, "--dry-run=client", "-n", "mail", ...args]);
    return out.slice(out.indexOf("NOTES:"));
  };
  const cron = notes(["-f", minimalValues]);
  assert.match(cron, /kubectl -n mail create job --from=cronjob\/mp-mailprobe mp-mailprobe-manual/);
  assert.match(cron, /SENDS a real probe mail[^\n]*\n\s+kubectl -n mail create job/);
  assert.match(cron, /WITHOUT sending mail[^\n]*\n\s+helm test mp -n mail/);
  const serve = notes(["-f", serveValues, "--set", "config.serve.trigger.enabled=true"]);
  assert.doesNotMatch(serve, /create job|cronjob/);
  assert.match(serve, /port-forward svc\/mp-mailprobe 9465:9465/);
  assert.match(serve, /\/metrics/);
  assert.match(serve, /SENDS a real probe mail[^\n]*\n\s+curl -s -X POST [^\n]*\/probe\//);
  for (const n of [cron, serve]) {
    const noSend = n.split("\n").filter((l) => /without sending|no mail|does not send|nothing is sent/i.test(l));
    assert.equal(noSend.length, 1, noSend.join("\n"));
    assert.match(noSend[0]!, /helm test|validate, then doctor/);
  }
  assert.doesNotMatch(notes(["-f", serveValues]), /POST/, "no trigger command when the trigger is off");
});

test("the CronJob's command and config, rendered for the lab, run a healthy probe with the CLI", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-chart-"));
  const secretsDir = join(dir, "secrets");
  const configDir = join(dir, "etc");
  const lab = parse(relocateLabText(readFileSync(join(repoRoot, "examples", "lab.yaml"), "utf8")));
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
        "kuma-probe": relocateLabText("http://127.0.0.1:24081/api/push/labprobe"),
      },
    },
    config: { ...lab, log: { level: "debug" } },
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

  // The container's own environment, and nothing that would override the config's log level.
  assert.ok(!c.env.some((e: any) => e.name === "MAILPROBE_LOG_LEVEL"), "config.log.level is the one place for the level");
  const env = Object.fromEntries(c.env.filter((e: any) => "value" in e).map((e: any) => [e.name, e.value]));
  const res = await runCli([...c.args, "--json"], { env: { ...env, MAILPROBE_LOG_LEVEL: "" } });
  assert.equal(res.code, 0, res.stdout + res.stderr);
  // config.log.level: debug (set below) is honoured: pino writes debug lines.
  assert.match(res.stderr, /"level":"debug"/);
  assert.equal(res.json.probes[0].probe, "chart_lab");
  assert.ok(res.json.probes[0].paths.every((p: any) => p.ok));
  assert.ok(
    res.json.probes[0].sinks.every((s: any) => s.ok),
    JSON.stringify(res.json.probes[0].sinks),
  );
});
