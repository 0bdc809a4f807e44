// examples/helm/homelab-values.yaml: the homelab's topology as chart values. It lints (--strict, the
// values schema), renders into objects valid against the Kubernetes and prometheus-operator schemas,
// carries examples/homelab.yaml unchanged as its config, and the rendered pod reaches the public name
// the documented way (hostAliases), with egress only to the peers it needs.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { repoRoot } from "../helpers/cli.js";
import { byKind, chartDir, helm, render } from "../helpers/helm.js";

const file = join(repoRoot, "examples", "helm", "homelab-values.yaml");

test("homelab values: lint --strict, render, valid objects, config = examples/homelab.yaml, hostAliases, selector egress", () => {
  helm(["lint", "--strict", chartDir, "-f", file]);
  const values = parse(readFileSync(file, "utf8"));
  assert.deepEqual(values.config, parse(readFileSync(join(repoRoot, "examples", "homelab.yaml"), "utf8")), "config is examples/homelab.yaml");
  const objs = render([file]);
  const cj = byKind(objs, "CronJob")[0];
  new CronJob(cj).validate();
  for (const cm of byKind(objs, "ConfigMap")) new ConfigMap(cm).validate();
  const np = byKind(objs, "NetworkPolicy")[0];
  new NetworkPolicy(np).validate();
  const rule = byKind(objs, "PrometheusRule")[0];
  new PrometheusRule(rule).validate();
  assert.equal(rule.metadata.labels.release, "kube-prometheus-stack");
  const pod = cj.spec.jobTemplate.spec.template.spec;
  assert.deepEqual(pod.hostAliases, [{ ip: "192.168.1.1", hostnames: ["mail.example.com"] }]);
  assert.ok(!pod.volumes.some((v: any) => v.secret && v.secret.secretName !== "mailprobe"), "the existing Secret");
  // In-cluster peers by selectors; the only ipBlocks are the firewall and HTTPS.
  const blocks = np.spec.egress.flatMap((e: any) => e.to.filter((t: any) => t.ipBlock).map((t: any) => t.ipBlock.cidr));
  assert.deepEqual(blocks, ["192.168.1.1/32", "0.0.0.0/0"]);
  assert.ok(np.spec.egress.some((e: any) => e.to[0].podSelector?.matchLabels?.["app.kubernetes.io/name"] === "prometheus-pushgateway"));
  // The rendered config keeps the relay checks' vantage points: the public name from the LAN, the stranger by our PROXY header.
  const cfg = parse(byKind(objs, "ConfigMap").find((c: any) => c.data["config.yaml"]).data["config.yaml"]);
  const relay = cfg.probes[0].relayCheck.map((r: any) => [r.name, r.from ?? "stranger", r.proxyProtocol?.sourceAddress]);
  assert.deepEqual(relay, [
    ["public-smtp", "lan", undefined],
    ["alt-submission", "stranger", "203.0.113.50"],
  ]);
});
