// The chart's conventions (as the prometheus-community charts have them) and the homelab's network
// options, rendered with the real helm and checked against the Kubernetes schemas: cronjob.suspend,
// configurable probes, namespaceOverride, commonLabels, revisionHistoryLimit, extra init containers
// and sidecars, global.imageRegistry, hostAliases, dnsPolicy/dnsConfig, NetworkPolicy selector peers.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse, stringify } from "yaml";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { byKind, chartDir, helmBin, renderValues } from "../helpers/helm.js";

const cronPod = (objs: any[]) => byKind(objs, "CronJob")[0].spec.jobTemplate.spec.template.spec;
const servePod = (objs: any[]) => byKind(objs, "Deployment")[0].spec.template.spec;

test("cronjob.suspend, namespaceOverride, commonLabels, global.imageRegistry, extra init containers and sidecars", () => {
  const objs = renderValues({
    cronjob: { suspend: true },
    namespaceOverride: "probes",
    commonLabels: { team: "mail" },
    global: { imageRegistry: "mirror.lan:5000" },
    extraInitContainers: [{ name: "wait-dns", image: "busybox:1.36", command: ["nslookup", "mail.example.com"] }],
    extraContainers: [{ name: "sidecar", image: "busybox:1.36", command: ["sleep", "infinity"] }],
    prometheusRule: { enabled: true, namespace: "monitoring" },
    dashboard: { enabled: true },
    secrets: { create: true, data: { "brevo-api-key": "x" } },
  });
  const cj = byKind(objs, "CronJob")[0];
  assert.equal(cj.spec.suspend, true);
  new CronJob(cj).validate();
  for (const o of objs) {
    const want = o.kind === "PrometheusRule" ? "monitoring" : "probes";
    assert.equal(o.metadata.namespace, want, `${o.kind} ${o.metadata.name} in ${want}`);
    assert.equal(o.metadata.labels?.team, "mail", `${o.kind} carries commonLabels`);
  }
  const pod = cronPod(objs);
  assert.equal(cj.spec.jobTemplate.spec.template.metadata.labels.team, "mail");
  assert.equal(pod.containers[0].image, "mirror.lan:5000/mailprobe/mailprobe:0.1.0", "the registry part is replaced");
  assert.deepEqual(
    pod.containers.map((c: any) => c.name),
    ["mailprobe", "sidecar"],
  );
  assert.deepEqual(
    pod.initContainers.map((c: any) => c.name),
    ["wait-dns"],
  );
  // The helm test pod runs in the same namespace, and keeps its own validate init container after the extra ones.
  const testPod = byKind(objs, "Pod")[0];
  assert.equal(testPod.metadata.namespace, "probes");
  assert.deepEqual(
    testPod.spec.initContainers.map((c: any) => c.name),
    ["wait-dns", "validate"],
  );
  // A repository without a registry host gets the mirror in front.
  const bare = cronPod(renderValues({ global: { imageRegistry: "mirror.lan" }, image: { repository: "mailprobe/mailprobe", tag: "1.0.0" } }));
  assert.equal(bare.containers[0].image, "mirror.lan/mailprobe/mailprobe:1.0.0");
});

test("serve: revisionHistoryLimit and the liveness, readiness and startup probes come from values", () => {
  const objs = renderValues({
    mode: "serve",
    serve: {
      revisionHistoryLimit: 1,
      livenessProbe: { httpGet: { path: "/healthz", port: "metrics" }, periodSeconds: 60 },
      readinessProbe: null,
      startupProbe: { httpGet: { path: "/healthz", port: "metrics" }, failureThreshold: 30, periodSeconds: 2 },
    },
  });
  const dep = byKind(objs, "Deployment")[0];
  new Deployment(dep).validate();
  assert.equal(dep.spec.revisionHistoryLimit, 1);
  const c = servePod(objs).containers[0];
  assert.equal(c.livenessProbe.periodSeconds, 60);
  assert.equal(c.readinessProbe, undefined, "null leaves the probe out");
  assert.equal(c.startupProbe.failureThreshold, 30);
  // The defaults: liveness on /healthz, readiness on /readyz, no startup probe.
  const d = servePod(renderValues({ mode: "serve" })).containers[0];
  assert.deepEqual([d.livenessProbe.httpGet.path, d.readinessProbe.httpGet.path, d.startupProbe], ["/healthz", "/readyz", undefined]);
});

test("hostAliases, dnsPolicy and dnsConfig reach the pod (CronJob and Deployment)", () => {
  const net = {
    hostAliases: [{ ip: "192.168.1.25", hostnames: ["mail.example.com", "smtp.example.com"] }],
    dnsPolicy: "None",
    dnsConfig: { nameservers: ["192.168.1.1"], searches: ["lan"], options: [{ name: "ndots", value: "1" }] },
  };
  for (const objs of [renderValues(net), renderValues({ ...net, mode: "serve" })]) {
    const pod = byKind(objs, "CronJob").length ? cronPod(objs) : servePod(objs);
    assert.deepEqual(pod.hostAliases, net.hostAliases);
    assert.equal(pod.dnsPolicy, "None");
    assert.deepEqual(pod.dnsConfig, net.dnsConfig);
  }
  assert.equal(cronPod(renderValues({})).dnsPolicy, undefined, "Kubernetes' default unless set");
});

test("NetworkPolicy: podSelector/namespaceSelector egress peers beside ipBlocks; enabled with no egress is refused", () => {
  const objs = renderValues({
    networkPolicy: {
      enabled: true,
      egress: [
        { cidr: "203.0.113.10/32", ports: [993] },
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
          podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus-pushgateway" } },
          ports: [9091],
        },
        { podSelector: { matchLabels: { app: "dovecot" } }, ports: [993, 143] },
      ],
    },
  });
  const np = byKind(objs, "NetworkPolicy")[0];
  new NetworkPolicy(np).validate();
  const [, ipb, both, pods] = np.spec.egress;
  assert.deepEqual(ipb.to, [{ ipBlock: { cidr: "203.0.113.10/32" } }]);
  // One peer holding both selectors: pods of that name in that namespace (not either of them).
  assert.deepEqual(both.to, [
    {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
      podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus-pushgateway" } },
    },
  ]);
  assert.deepEqual(pods.to, [{ podSelector: { matchLabels: { app: "dovecot" } } }]);
  assert.deepEqual(
    pods.ports.map((p: any) => p.port),
    [993, 143],
  );

  const dir = mkdtempSync(join(tmpdir(), "mailprobe-np-"));
  const refused = (values: object, why: RegExp) => {
    const f = join(dir, `v${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(f, stringify(values));
    const r = spawnSync(helmBin, ["template", "mp", chartDir, "-f", f], { encoding: "utf8" });
    assert.notEqual(r.status, 0, `rendered: ${JSON.stringify(values)}`);
    assert.match(r.stderr, why);
  };
  refused({ networkPolicy: { enabled: true } }, /networkPolicy\.enabled is true but networkPolicy\.egress is empty/);
  refused({ networkPolicy: { enabled: true, egress: [{ ports: [993] }] } }, /networkPolicy\/egress\/0|egress/);
  refused({ networkPolicy: { enabled: true, egress: [{ cidr: "10.0.0.0/8", podSelector: {}, ports: [993] }] } }, /egress\/0/);
});

test("serve mode: the chart's serve.push becomes the config's serve.push, the CLI's one setting (no double reporting)", () => {
  const config = (values: object) => {
    const cm = byKind(renderValues(values), "ConfigMap").find((c: any) => c.data?.["config.yaml"]);
    return parse(cm.data["config.yaml"]);
  };
  assert.ok(config({}).pushgateway, "cronjob mode pushes (the default config has a pushgateway block)");
  assert.equal(config({}).serve, undefined);
  // The block stays (the CLI decides: serve with push false never pushes, test/e2e/serve-push.test.ts).
  assert.equal(config({ mode: "serve" }).serve.push, false);
  assert.equal(config({ mode: "serve", serve: { push: true } }).serve.push, true);
  assert.equal(config({ mode: "serve", serve: { push: true }, config: { serve: { push: true } } }).serve.push, true);
  const f = join(mkdtempSync(join(tmpdir(), "mailprobe-push-")), "values.yaml");
  writeFileSync(f, stringify({ mode: "serve", config: { serve: { push: true } } }));
  const r = spawnSync(helmBin, ["template", "mp", chartDir, "-f", f], { encoding: "utf8" });
  assert.notEqual(r.status, 0, "a config.serve.push that disagrees with serve.push is refused");
  assert.match(r.stderr, /config\.serve\.push \(true\) and serve\.push \(false\) disagree/);
});
