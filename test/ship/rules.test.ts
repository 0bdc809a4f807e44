// The chart's alert rules, rendered by the real helm, pass `promtool check rules` and the unit tests
// in alerts.promtool.yaml (two failing runs, stale inhibited while failing, absent, IP lost, slow, TLS;
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
import { byKind, chartDir, render } from "../helpers/helm.js";

function promtool(rulesYaml: string) {
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-rules-"));
  writeFileSync(join(dir, "rules.yaml"), rulesYaml);
  copyFileSync(new URL("./alerts.promtool.yaml", import.meta.url), join(dir, "alerts.promtool.yaml"));
  const check = spawnSync("promtool", ["check", "rules", join(dir, "rules.yaml")], { encoding: "utf8" });
  assert.equal(check.status, 0, check.stdout + check.stderr);
  assert.match(check.stdout + check.stderr, /SUCCESS: 17 rules found/);
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
