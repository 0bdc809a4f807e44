// The Grafana dashboard, proven without Grafana: after lab runs pushed to the real Pushgateway and a
// `serve` scraped directly, the lab's real Prometheus answers every panel's query (variables
// substituted as Grafana would) with at least one series, and the variables' own queries too.
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

/** What Grafana sends for a panel: template variables and the built-in intervals replaced. */
function substitute(expr: string, vars: { probe: string; path: string }): string {
  return expr.replaceAll("$probe", vars.probe).replaceAll("$path", vars.path).replaceAll("$__range", "1h").replaceAll("$__rate_interval", "1m");
}

const panels: { title: string; expr: string }[] = dashboard.panels.flatMap((p: any) => p.targets.map((t: any) => ({ title: p.title, expr: t.expr })));

test("the dashboard is importable JSON: a Prometheus datasource variable, probe and path variables, the required panels", () => {
  const vars = dashboard.templating.list.map((v: any) => [v.name, v.type]);
  assert.deepEqual(vars, [
    ["datasource", "datasource"],
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
    for (const probe of ["dash_ok", "dash_ip", "dash_lost"]) {
      await waitUntil(`Prometheus has ${probe}`, async () => ((await query(`mailprobe_run_success{probe="${probe}"}`)).length ? true : undefined));
    }
    await waitUntil("two serve cycles in a rate()", async () =>
      (await query(`sum(rate(mailprobe_roundtrip_duration_seconds_count{probe="dash_serve"}[1m]))`))[0]?.value[1] > 0 ? true : undefined,
    );

    // The variables' queries (label_values) as Grafana runs them.
    const probes = (await (await fetch(`${prom}/api/v1/label/probe/values?match[]=mailprobe_success`)).json()) as any;
    for (const p of ["dash_ok", "dash_ip", "dash_lost", "dash_serve"]) assert.ok(probes.data.includes(p), p);
    const pathsOf = (await (
      await fetch(`${prom}/api/v1/label/path/values?match[]=${encodeURIComponent('mailprobe_success{probe=~"dash_ok"}')}`)
    ).json()) as any;
    assert.deepEqual(pathsOf.data.sort(), ["external", "internal"]);

    // All probes (Grafana's "All" = the allValue .*): every panel has data.
    for (const p of panels) assert.ok((await query(substitute(p.expr, { probe: ".*", path: ".*" }))).length > 0, `${p.title}: ${p.expr}`);

    // Each source alone. Failure reasons and the upstream diagnosis only show when something failed;
    // the histogram exists only in serve mode (its panel says so).
    const failureOnly = new Set(["Failure reasons", "Upstream diagnosis (Brevo)"]);
    for (const [probe, skip] of [
      ["dash_ok", new Set([...failureOnly, "Roundtrip p95 (serve mode)"])],
      ["dash_serve", failureOnly],
    ] as const) {
      for (const p of panels.filter((x) => !skip.has(x.title))) {
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
