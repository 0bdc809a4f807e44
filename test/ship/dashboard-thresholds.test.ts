// The dashboard agrees with the alerts: its certificate, staleness and spam thresholds are the
// chart's default alert values, and the chart renders them from this release's prometheusRule values
// and its probes' spam.maxScore. Every query filters on $job and $deployment and keeps deployment
// apart (two installs sharing a Pushgateway are never merged); the spam panel honours $path.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../helpers/cli.js";
import { byKind, defaultValues, renderValues } from "../helpers/helm.js";

const file = JSON.parse(readFileSync(join(repoRoot, "dashboards", "mailprobe.json"), "utf8"));

/** The threshold steps' values of a panel, by title. */
const steps = (d: any, title: string): (number | null)[] =>
  d.panels.find((p: any) => p.title === title).fieldConfig.defaults.thresholds.steps.map((s: any) => s.value);

test("the committed dashboard's thresholds are the alerts' defaults (certificates 14/30 days, stale 45 minutes, spam 5)", () => {
  const r = defaultValues().prometheusRule;
  assert.deepEqual(steps(file, "TLS certificate days left"), [null, r.tlsDaysLeft, 30]);
  assert.deepEqual(steps(file, "SMTP certificate days left"), [null, r.smtpTlsDaysLeft, 30]);
  assert.equal(steps(file, "Time since last success")[2], r.staleAfterSeconds);
  assert.deepEqual(steps(file, "Spam score"), [null, r.spamScoreThreshold]);
});

test("the chart renders the thresholds from prometheusRule and the lowest spam.maxScore of its probes", () => {
  const dashboard = (values: object) => {
    const cm = byKind(renderValues({ dashboard: { enabled: true }, ...values }), "ConfigMap").find((c: any) => c.data["mailprobe.json"]);
    return JSON.parse(cm.data["mailprobe.json"]);
  };
  const probes = defaultValues().config.probes;
  const withMax = (i: number, maxScore: number) => ({ ...probes[0], name: `p${i}`, sender: { ...probes[0].sender, spam: { maxScore } } });
  const d = dashboard({
    prometheusRule: { tlsDaysLeft: 21, smtpTlsDaysLeft: 10, staleAfterSeconds: 3600, spamScoreThreshold: 7 },
    config: { probes: [withMax(1, 6.5), probes[0], withMax(2, 4)] },
  });
  assert.deepEqual(steps(d, "TLS certificate days left"), [null, 21, 30]);
  assert.deepEqual(steps(d, "SMTP certificate days left"), [null, 10, 30]);
  assert.equal(steps(d, "Time since last success")[2], 3600);
  assert.deepEqual(steps(d, "Spam score"), [null, 4], "the lowest maxScore of the probes that set one");
  // No probe sets spam.maxScore: the alert's threshold.
  assert.deepEqual(steps(dashboard({ prometheusRule: { spamScoreThreshold: 7 } }), "Spam score"), [null, 7]);
  // Everything else is the file as it is.
  const same = dashboard({});
  assert.deepEqual(same, file);
});

test("job and deployment variables: every query filters on them and keeps deployments apart; the spam panel honours $path", () => {
  const vars = file.templating.list.map((v: any) => v.name);
  assert.deepEqual(vars, ["datasource", "job", "deployment", "probe", "path"]);
  const queries: { title: string; expr: string }[] = [
    ...file.panels.flatMap((p: any) => p.targets.map((t: any) => ({ title: p.title, expr: t.expr }))),
    ...file.annotations.list.filter((a: any) => a.target?.expr).map((a: any) => ({ title: a.name, expr: a.target.expr })),
  ];
  for (const q of queries) {
    const selectors = [...q.expr.matchAll(/mailprobe_\w+\{([^}]*)\}/g)].map((m) => m[1]!);
    assert.ok(selectors.length > 0, q.title);
    for (const s of selectors) assert.match(s, /^job=~"\$job", deployment=~"\$deployment", probe=~"\$probe"/, `${q.title}: ${q.expr}`);
    for (const by of q.expr.matchAll(/by \(([^)]*)\)/g)) assert.match(by[1]!, /\bjob, deployment\b/, `${q.title} groups by deployment: ${q.expr}`);
  }
  const spam = queries.find((q) => q.title === "Spam score")!;
  assert.match(spam.expr, /path=~"\$path"/);
  // The variables chain: deployment within job, probe within both, path within all three.
  const v = Object.fromEntries(file.templating.list.map((x: any) => [x.name, x.query?.query]));
  assert.match(v.deployment, /\{job=~"\$job"\}, deployment\)$/);
  assert.match(v.probe, /\{job=~"\$job", deployment=~"\$deployment"\}, probe\)$/);
  assert.match(v.path, /\{job=~"\$job", deployment=~"\$deployment", probe=~"\$probe"\}, path\)$/);
});
