// The chart's alert rules, rendered by the real helm, pass `promtool check rules` and the unit tests
// in alerts.promtool.yaml (two failing runs, stale inhibited while failing or stopped, runs stopped whatever
// the last state, absent, IP lost at once, IP unexpected after 45 minutes and not paged as failing, slow, TLS;
// required auth method failing, spam score, open relay, a relay check that cannot complete, SMTP certificate, Brevo credits, messages left
// behind, serve overruns and a wedged cycle) — both as the PrometheusRule and as the plain rules file
// prometheus/mailprobe.rules.yaml, which must be a fresh render (scripts/rules-file.ts).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { stringify } from "yaml";
import { renderRulesFile, rulesFilePath } from "../../scripts/rules-file.js";
import { byKind, chartDir, render, renderValues } from "../helpers/helm.js";

function promtool(rulesYaml: string) {
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-rules-"));
  writeFileSync(join(dir, "rules.yaml"), rulesYaml);
  copyFileSync(new URL("./alerts.promtool.yaml", import.meta.url), join(dir, "alerts.promtool.yaml"));
  const check = spawnSync("promtool", ["check", "rules", join(dir, "rules.yaml")], { encoding: "utf8" });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout + check.stderr, /SUCCESS: 19 rules found/);
  let out: string;
  try {
    out = execFileSync("promtool", ["test", "rules", "alerts.promtool.yaml"], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string };
    assert.fail(`promtool test rules failed:\n${x.stdout}\n${x.stderr}`);
  }
  assert.match(out, /SUCCESS/);
}

test("alert rules (PrometheusRule): promtool check rules and promtool test rules pass", () => {
  const rule = byKind(render([join(chartDir, "ci", "full-values.yaml")]), "PrometheusRule")[0];
  promtool(stringify({ groups: rule.spec.groups }));
});

test("the plain rules file is a fresh render of the chart's rules and passes the same promtool tests", () => {
  const committed = readFileSync(rulesFilePath, "utf8");
  assert.equal(committed, renderRulesFile(), "run: node --import tsx scripts/rules-file.ts");
  promtool(committed);
});

test("per-alert overrides (enabled, severity, for, labels, annotations), additionalRuleAnnotations, prometheusRule.namespace", () => {
  const objs = renderValues({
    prometheusRule: {
      enabled: true,
      namespace: "monitoring",
      alertLabels: { team: "mail" },
      additionalRuleAnnotations: { dashboard: "https://grafana.example.com/d/mailprobe", summary: "never wins over a rule's own" },
      rules: {
        MailprobeRoundtripSlow: { severity: "info", for: "1h", labels: { team: "edge", route: "brevo" } },
        MailprobeRealClientIpUnexpected: { annotations: { runbook_url: "https://wiki.example.com/brevo-ranges", summary: "custom" } },
        MailprobeRelaysForLan: { for: "" },
        MailprobeWedged: { enabled: false },
      },
    },
  });
  const pr = byKind(objs, "PrometheusRule")[0];
  assert.equal(pr.metadata.namespace, "monitoring");
  const rules = pr.spec.groups[0].rules;
  const rule = (name: string) => rules.find((r: any) => r.alert === name);
  assert.equal(rule("MailprobeWedged"), undefined);
  const slow = rule("MailprobeRoundtripSlow");
  assert.deepEqual(slow.labels, { severity: "info", team: "edge", route: "brevo" });
  assert.equal(slow.for, "1h");
  const unexpected = rule("MailprobeRealClientIpUnexpected");
  assert.equal(unexpected.annotations.runbook_url, "https://wiki.example.com/brevo-ranges");
  assert.equal(unexpected.annotations.summary, "custom");
  assert.equal(unexpected.for, "45m", "untouched");
  assert.equal(rule("MailprobeRelaysForLan").for, undefined, 'for: "" removes the rule\'s own');
  for (const r of rules) {
    assert.equal(r.annotations.dashboard, "https://grafana.example.com/d/mailprobe", r.alert);
    assert.notEqual(r.annotations.summary, "never wins over a rule's own", r.alert);
    if (r.alert !== "MailprobeRoundtripSlow") assert.equal(r.labels.team, "mail", r.alert);
  }
  assert.equal(rule("MailprobeOpenRelay").labels.severity, "critical");
  // Still valid rules.
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-rules-"));
  writeFileSync(join(dir, "rules.yaml"), stringify({ groups: pr.spec.groups }));
  const check = spawnSync("promtool", ["check", "rules", join(dir, "rules.yaml")], { encoding: "utf8" });
  assert.equal(check.status, 0, check.stdout + check.stderr);

  // With MailprobeRealClientIpUnexpected off, a path failing with real_ip_unexpected pages as failing again.
  const off = byKind(renderValues({ prometheusRule: { enabled: true, rules: { MailprobeRealClientIpUnexpected: { enabled: false } } } }), "PrometheusRule")[0];
  const failing = off.spec.groups[0].rules.find((r: any) => r.alert === "MailprobePathFailing");
  assert.doesNotMatch(failing.expr, /real_ip_unexpected/);
  assert.match(
    rule("MailprobePathFailing").expr,
    /unless on \(job, deployment, probe, path\)\s+max by \(job, deployment, probe, path\) \(mailprobe_failure_reason\{reason="real_ip_unexpected"\}\) == 1/,
  );
});
