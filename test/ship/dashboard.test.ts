// The Grafana dashboard, proven without Grafana: after lab runs pushed to the real Pushgateway and a
// `serve` scraped directly, the lab's real Prometheus answers every panel's query (variables
// substituted as Grafana would) with at least one series, and the variables' own queries and the
// failed-runs annotation too. Its shape is checked against Grafana's types in dashboard.types.ts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { addr, port } from "../lab/topology.js";
import { labConfig, repoRoot, runCli, startCli, waitUntil } from "../helpers/cli.js";
import { fakeBrevo } from "../helpers/lab.js";

const dashboard = JSON.parse(readFileSync(join(repoRoot, "dashboards", "mailprobe.json"), "utf8"));
const prom = `http://${addr.listen}:${port.prometheus}`;

async function query(q: string): Promise<any[]> {
  const res = await fetch(`${prom}/api/v1/query?query=${encodeURIComponent(q)}`);
  const body = (await res.json()) as any;
  assert.equal(body.status, "success", `${q}: ${JSON.stringify(body)}`);
  return body.data.result;
}

/** What Grafana sends for a panel: template variables and the built-in intervals replaced ($job and $deployment: All unless given). */
function substitute(expr: string, vars: { probe: string; path: string; job?: string; deployment?: string }): string {
  return expr
    .replaceAll("$probe", vars.probe)
    .replaceAll("$path", vars.path)
    .replaceAll("$job", vars.job ?? ".*")
    .replaceAll("$deployment", vars.deployment ?? ".*")
    .replaceAll("$__range", "1h")
    .replaceAll("$__rate_interval", "1m");
}

const panels: { title: string; expr: string }[] = dashboard.panels.flatMap((p: any) => p.targets.map((t: any) => ({ title: p.title, expr: t.expr })));

/**
 * Panels for gauges the product does not produce yet (other open issues add them): their queries
 * cannot return data today. Remove a title when the product starts producing its metric — the test
 * fails when a pending panel returns data, so this list cannot go stale.
 */
const PENDING_PRODUCT_METRICS: string[] = [];
const live = panels.filter((p) => !PENDING_PRODUCT_METRICS.includes(p.title));

test("the dashboard is importable JSON: a Prometheus datasource variable, job, deployment, probe and path variables, the required panels", () => {
  const vars = dashboard.templating.list.map((v: any) => [v.name, v.type]);
  assert.deepEqual(vars, [
    ["datasource", "datasource"],
    ["job", "query"],
    ["deployment", "query"],
    ["probe", "query"],
    ["path", "query"],
  ]);
  assert.equal(dashboard.templating.list[0].query, "prometheus");
  for (const p of dashboard.panels) {
    assert.equal(p.datasource.uid, "${datasource}", p.title);
    for (const t of p.targets) assert.equal(t.datasource.uid, "${datasource}", p.title);
  }
  const titles = dashboard.panels.map((p: any) => p.title);
  for (const want of [
    "State per path",
    "Success over time",
    "Roundtrip per path",
    "Real client IP verdict",
    "Time since last success",
    "Failure reasons",
    "Send latency",
    "TLS certificate days left",
  ]) {
    assert.ok(titles.includes(want), want);
  }
  const ids = dashboard.panels.map((p: any) => p.id);
  assert.equal(new Set(ids).size, ids.length, "unique panel ids");
  for (const t of PENDING_PRODUCT_METRICS) assert.ok(titles.includes(t), `pending panel ${t} exists`);
});

test("the import dialog's data source choice takes effect; __requires names the Grafana of the schemaVersion", () => {
  // Grafana's import replaces ${DS_PROMETHEUS} (the __inputs entry) with the chosen data source's uid
  // throughout the JSON. It appears only as the datasource variable's starting value, so the choice
  // becomes the variable and every panel (which use ${datasource}) follows it; a provisioned copy (the
  // chart's sidecar ConfigMap, no import step) keeps the literal, matches no data source, and Grafana
  // falls back to the variable's first Prometheus.
  assert.deepEqual(
    dashboard.__inputs.map((i: any) => [i.name, i.type, i.pluginId]),
    [["DS_PROMETHEUS", "datasource", "prometheus"]],
  );
  const text = readFileSync(join(repoRoot, "dashboards", "mailprobe.json"), "utf8");
  const imported = JSON.parse(text.replaceAll("${DS_PROMETHEUS}", "prom-uid-chosen"));
  assert.equal(imported.templating.list[0].current.value, "prom-uid-chosen");
  assert.equal(text.split("${DS_PROMETHEUS}").length - 1, 2, "only in the variable's current text and value");
  for (const p of imported.panels) for (const t of p.targets) assert.equal(t.datasource.uid, "${datasource}");
  // schemaVersion 39 is what Grafana 10.4 writes (DashboardMigrator: 39 = 10.4's migration).
  assert.equal(dashboard.schemaVersion, 39);
  assert.equal(dashboard.__requires.find((r: any) => r.id === "grafana").version, "10.4.0");
});

test("every panel's query returns series from the real Prometheus, for CronJob (Pushgateway) and serve data", async () => {
  // CronJob-style runs through the Pushgateway: one healthy, one with the IP outside the expected
  // relays (a failure reason), one accepted by Brevo and never delivered (an upstream diagnosis).
  const healthy = await runCli(["run", "--config", labConfig((c) => (c.probes[0].name = "dash_ok")), "--json"]);
  assert.equal(healthy.code, 0, healthy.stderr);
  const unexpected = await runCli([
    "run",
    "--config",
    labConfig((c) => ((c.probes[0].name = "dash_ip"), (c.probes[0].received.expectedCidrs = ["10.0.0.0/8"]))),
    "--json",
  ]);
  assert.equal(unexpected.json.probes[0].reason, "real_ip_unexpected");
  // Two installs sharing the Pushgateway (pushgateway.deployment), with a probe of one name.
  for (const deployment of ["blue", "green"]) {
    const r = await runCli(["run", "--config", labConfig((c) => ((c.probes[0].name = "dash_dep"), (c.pushgateway.deployment = deployment))), "--json"]);
    assert.equal(r.code, 0, r.stderr);
  }
  await fakeBrevo("/__lab/fault", { method: "POST", body: JSON.stringify({ mode: "blackhole" }) });
  try {
    const lost = await runCli(["run", "--config", labConfig((c) => ((c.probes[0].name = "dash_lost"), (c.probes[0].timeoutSeconds = 3))), "--json"]);
    assert.equal(lost.json.probes[0].diagnosis.code, "upstream_deferred");
  } finally {
    await fakeBrevo("/__lab/fault", { method: "POST", body: JSON.stringify({ mode: "none" }) });
  }

  // The exporter, scraped by the same Prometheus.
  const serve = startCli([
    "serve",
    "--config",
    labConfig((c) => {
      c.serve = { listen: addr.listen, port: port.serveMetrics, schedule: "*/2 * * * * *" };
      c.probes[0].name = "dash_serve";
      delete c.pushgateway;
      delete c.probes[0].kuma;
      for (const p of c.probes[0].paths) delete p.kuma;
    }),
  ]);
  try {
    for (const probe of ["dash_ok", "dash_ip", "dash_lost", "dash_dep"]) {
      await waitUntil(`Prometheus has ${probe}`, async () => ((await query(`mailprobe_run_success{probe="${probe}"}`)).length ? true : undefined));
    }
    await waitUntil("two serve cycles in a rate()", async () =>
      (await query(`sum(rate(mailprobe_roundtrip_duration_seconds_count{probe="dash_serve"}[1m]))`))[0]?.value[1] > 0 ? true : undefined,
    );

    // The variables' queries (label_values) as Grafana runs them: job, deployment within job, probe, path.
    const labelValues = async (label: string, match: string) =>
      ((await (await fetch(`${prom}/api/v1/label/${label}/values?match[]=${encodeURIComponent(match)}`)).json()) as any).data as string[];
    const jobs = await labelValues("job", "mailprobe_last_run_timestamp_seconds");
    assert.ok(jobs.includes("mailprobe") && jobs.includes("mailprobe-serve"), jobs.join());
    const deployments = await labelValues("deployment", 'mailprobe_last_run_timestamp_seconds{job=~"mailprobe"}');
    assert.ok(deployments.includes("blue") && deployments.includes("green"), deployments.join());
    // Two deployments with a probe of one name are two series in every panel, not one merged one; a
    // chosen deployment shows its own only.
    const state = panels.find((p) => p.title === "State per path")!.expr;
    const both = await query(substitute(state, { probe: "dash_dep", path: ".*" }));
    assert.deepEqual([...new Set(both.map((x) => x.metric.deployment))].sort(), ["blue", "green"]);
    assert.equal(both.length, 4, "2 paths × 2 deployments");
    const blue = await query(substitute(state, { probe: "dash_dep", path: ".*", deployment: "blue" }));
    assert.deepEqual(new Set(blue.map((x) => x.metric.deployment)), new Set(["blue"]));
    assert.equal(blue.length, 2);
    for (const p of live.filter((x) => !["Failure reasons", "Upstream diagnosis (Brevo)", "Roundtrip p95 (serve mode)"].includes(x.title))) {
      const got = await query(substitute(p.expr, { probe: "dash_dep", path: "external", deployment: "green" }));
      assert.ok(got.length > 0 && got.every((x) => x.metric.deployment === "green"), `${p.title} for deployment green: ${p.expr}`);
    }
    const probes = (await (await fetch(`${prom}/api/v1/label/probe/values?match[]=mailprobe_success`)).json()) as any;
    for (const p of ["dash_ok", "dash_ip", "dash_lost", "dash_serve"]) assert.ok(probes.data.includes(p), p);
    const pathsOf = (await (
      await fetch(`${prom}/api/v1/label/path/values?match[]=${encodeURIComponent('mailprobe_success{probe=~"dash_ok"}')}`)
    ).json()) as any;
    assert.deepEqual(pathsOf.data.sort(), ["external", "internal"]);

    // All probes (Grafana's "All" = the allValue .*): every panel has data, except the pending ones,
    // which must not have any yet.
    for (const p of live) assert.ok((await query(substitute(p.expr, { probe: ".*", path: ".*" }))).length > 0, `${p.title}: ${p.expr}`);
    for (const p of panels.filter((x) => PENDING_PRODUCT_METRICS.includes(x.title))) {
      const got = await query(substitute(p.expr, { probe: ".*", path: ".*" }));
      assert.equal(got.length, 0, `${p.title} now returns data: remove it from PENDING_PRODUCT_METRICS`);
    }

    // The annotation marks failed runs: 1 (Grafana's Prometheus annotations take only 1s) for the
    // probe whose run failed, 0 for the healthy one.
    const anno = dashboard.annotations.list.find((a: any) => a.name === "Failed runs");
    const marks = await query(substitute(anno.target.expr, { probe: "dash_ok|dash_ip", path: ".*" }));
    assert.deepEqual(Object.fromEntries(marks.map((m) => [m.metric.probe, m.value[1]])), { dash_ok: "0", dash_ip: "1" });

    // Each source alone. Failure reasons and the upstream diagnosis only show when something failed;
    // the histogram exists only in serve mode (its panel says so).
    const failureOnly = new Set(["Failure reasons", "Upstream diagnosis (Brevo)"]);
    for (const [probe, skip] of [
      ["dash_ok", new Set([...failureOnly, "Roundtrip p95 (serve mode)"])],
      ["dash_serve", failureOnly],
    ] as const) {
      for (const p of live.filter((x) => !skip.has(x.title))) {
        assert.ok((await query(substitute(p.expr, { probe, path: "external" }))).length > 0, `${p.title} for ${probe}: ${p.expr}`);
      }
    }
    assert.ok(
      (await query(substitute(panels.find((p) => p.title === "Failure reasons")!.expr, { probe: "dash_ip", path: ".*" }))).some(
        (s) => s.metric.reason === "real_ip_unexpected",
      ),
    );
    assert.ok(
      (await query(substitute(panels.find((p) => p.title === "Upstream diagnosis (Brevo)")!.expr, { probe: "dash_lost", path: ".*" }))).some(
        (s) => s.metric.diagnosis === "upstream_deferred",
      ),
    );
    const ip = await query(substitute(panels.find((p) => p.title === "Real client IP verdict")!.expr, { probe: "dash_ip|dash_ok", path: ".*" }));
    assert.deepEqual(Object.fromEntries(ip.map((s) => [s.metric.probe, s.value[1]])), { dash_ok: "1", dash_ip: "0" });
  } finally {
    serve.child.kill("SIGTERM");
    await serve.exited;
  }
});
