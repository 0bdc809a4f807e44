// The Docker image, built for real without a Docker engine: scripts/image.sh builds a glibc Node 24
// base from this machine (no registry can be pulled here) and the Dockerfile on it with buildah
// (chroot isolation, as root); both are reused while their inputs are unchanged, so a repeat run
// only checks them. The image's own entrypoint then runs in a container as uid 10001: --help,
// --version and a probe against the lab, which the container reaches over the host's network
// (chroot isolation shares it). Nothing may be written outside /tmp: the container's files are
// listed before and after the probe.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { paths } from "../lab/topology.js";
import { labConfig, repoRoot } from "../helpers/cli.js";
import { buildTools, bundledPackages } from "../helpers/package.js";

const imageSh = join(repoRoot, "scripts", "image.sh");
const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8"));
const dockerfile = readFileSync(join(repoRoot, "Dockerfile"), "utf8");
/** The Dockerfile's logical lines (continuations joined), comments dropped. */
const lines = dockerfile
  .replace(/\\\n\s*/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));

/** scripts/image.sh ARGS: its stdout (build logs go to stderr, shown on a failure). */
function image(args: string[]): string {
  const r = spawnSync("bash", [imageSh, ...args], { encoding: "utf8", maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, `image.sh ${args.join(" ")}\n${r.stderr.slice(-4000)}`);
  return r.stdout.trim();
}
const buildah = (args: string[]) => image(["buildah", ...args]);

/** Every file, link and folder under `root` but /tmp (and the kernel's /proc, /sys, /dev): path, type, mode, owner, size, mtime. */
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel))) {
      const p = rel ? `${rel}/${name}` : name;
      if (["tmp", "proc", "sys", "dev"].includes(p)) continue;
      const s = lstatSync(join(root, p));
      // buildah itself touches /run on every `buildah run` (even of `true`): that folder's own mtime is not the app's.
      out.push(`${p} ${s.mode.toString(8)} ${s.uid}:${s.gid} ${s.size} ${p === "run" ? "-" : s.mtimeMs}`);
      if (s.isDirectory()) walk(p);
    }
  };
  walk("");
  return out.sort();
}

test("Dockerfile: one NODE_IMAGE for every stage (node:24-alpine by default), portable commands, tight .dockerignore", () => {
  assert.match(dockerfile, /^ARG NODE_IMAGE=node:24-alpine$/m);
  const froms = lines.filter((l) => l.startsWith("FROM "));
  assert.ok(froms.length >= 2 && froms.every((l) => l.startsWith("FROM ${NODE_IMAGE}")), froms.join("\n"));
  // The same file builds on Alpine (musl, apk) and on scripts/image.sh's glibc base (no package manager).
  for (const run of lines.filter((l) => l.startsWith("RUN "))) assert.doesNotMatch(run, /\b(apk|apt-get|apt|dpkg)\b/, run);
  const ignore = readFileSync(join(repoRoot, ".dockerignore"), "utf8")
    .split("\n")
    .filter((l) => l && !l.startsWith("#"));
  assert.equal(ignore[0], "*", "everything excluded first");
  assert.deepEqual(ignore.slice(1).sort(), ["!package-lock.json", "!package.json", "!scripts/bundle.mjs", "!src/", "!tsconfig.build.json", "!tsconfig.json"]);
});

test(
  "the image, built with buildah on a Node 24 base, runs its entrypoint as uid 10001: --help, --version, a lab probe, nothing written outside /tmp",
  { timeout: 20 * 60_000 },
  (t) => {
    const started = Date.now();
    const base = image(["base"]);
    const name = image(["build"]);
    t.diagnostic(`base ${base}, image ${name}: built or reused in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const inspect = JSON.parse(buildah(["inspect", "--type", "image", name]));
    const config = inspect.OCIv1.config;
    assert.equal(config.User, "10001:10001", "numeric non-root user: Kubernetes runAsNonRoot can verify it");
    // --lite-mode: a run's peak RSS under 80 MB (issue 14); NODE_OPTIONS would not accept it.
    // --initial-old-space-size=16: no full GC in a run (issue 23).
    assert.deepEqual(config.Entrypoint, ["node", "--lite-mode", "--initial-old-space-size=16", "/app/dist/bundle/mailprobe.js"]);
    assert.ok(config.Env.includes("NODE_COMPILE_CACHE=/app/.compile-cache"), config.Env.join(" "));
    assert.deepEqual(config.Cmd, ["--help"]);
    assert.ok(config.Env.includes("MAILPROBE_CONFIG=/etc/mailprobe/config.yaml") && config.Env.includes("HOME=/tmp"), config.Env.join(" "));
    const labels = config.Labels;
    assert.equal(labels["org.opencontainers.image.title"], "mailprobe");
    assert.equal(labels["org.opencontainers.image.version"], pkg.version);
    assert.equal(labels["org.opencontainers.image.licenses"], pkg.license);
    assert.equal(labels["org.opencontainers.image.base.name"], base);
    for (const l of ["description", "revision", "created", "source"]) assert.ok(labels[`org.opencontainers.image.${l}`], l);
    const history = inspect.OCIv1.history.map((h: { created_by?: string }) => h.created_by ?? "");
    assert.ok(
      history.some((h: string) => /rm -rf \/usr\/local\/lib\/node_modules\/npm /.test(h)),
      "the final stage removes npm",
    );
    const size = buildah(["images", "--noheading", "--format", "{{.Size}}", name]);
    t.diagnostic(`image size ${size} (base ${buildah(["images", "--noheading", "--format", "{{.Size}}", base])})`);

    const ctr = buildah(["from", "--pull=never", name]);
    try {
      const root = buildah(["mount", ctr]);
      assert.ok(!existsSync(join(root, "usr/local/lib/node_modules/npm")) && !existsSync(join(root, "usr/local/bin/npm")), "npm is gone");
      assert.ok(!existsSync(join(root, "usr/local/bin/npx")), "npx is gone");
      // The app is the bundle, package.json (its "type") and the SBOM: no node_modules.
      assert.deepEqual(readdirSync(join(root, "app")).sort(), [".compile-cache", "dist", "package.json", "sbom.cdx.json"]);
      // Node's compile cache, written at build time by uid 10001 (its folder name holds the uid).
      const caches = readdirSync(join(root, "app/.compile-cache"));
      assert.ok(caches.length === 1 && caches[0]!.endsWith("-10001"), caches.join(" "));
      assert.deepEqual(readdirSync(join(root, "app/dist")), ["bundle"]);
      assert.equal(lstatSync(join(root, "app/dist/bundle/mailprobe.js")).uid, 0, "the app is root-owned: the user cannot change it");
      const sbom = JSON.parse(readFileSync(join(root, "app/sbom.cdx.json"), "utf8"));
      assert.equal(sbom.bomFormat, "CycloneDX");
      assert.deepEqual([sbom.metadata.component.name, sbom.metadata.component.version], [pkg.name, pkg.version]);
      const components = new Map<string, string>(sbom.components.map((c: { name: string; version: string }) => [c.name, c.version]));
      // The bundle's own packages (scripts/bundle.mjs reads esbuild's metafile), not the build tools.
      for (const dep of bundledPackages) assert.ok(components.has(dep), `SBOM lists ${dep}`);
      for (const dep of buildTools) assert.ok(!components.has(dep), `SBOM leaves out the build tool ${dep}`);
      const appKb = Number(execFileSync("du", ["-sk", join(root, "app")], { encoding: "utf8" }).split("\t")[0]);
      t.diagnostic(`/app: ${appKb} kB, SBOM lists ${components.size} components`);

      // The lab's config at the image's MAILPROBE_CONFIG, the lab CA at the path the config names.
      const volumes = ["-v", `${labConfig()}:/etc/mailprobe/config.yaml:ro`, "-v", `${paths.tls}:${paths.tls}:ro`];
      const run = (args: string[], user = "10001:10001") =>
        spawnSync("bash", [imageSh, "buildah", "run", "--isolation", "chroot", "--user", user, ...volumes, ctr, "--", ...args], {
          encoding: "utf8",
          timeout: 120_000,
        });
      const entry = (args: string[]) => run([...config.Entrypoint, ...args]);

      const help = entry(["--help"]);
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, /usage: mailprobe <command>/);
      assert.equal(entry(["--version"]).stdout.trim(), pkg.version);
      // The entry and its chunks come from the build-time compile cache (and nothing is rewritten).
      const cached = run(["env", "NODE_DEBUG_NATIVE=COMPILE_CACHE", ...config.Entrypoint, "--help"]);
      assert.match(cached.stderr, /mailprobe\.js because cache was the same/, cached.stderr.slice(-2000));
      // Without --user the image's USER applies.
      const ids = spawnSync(
        "bash",
        [imageSh, "buildah", "run", "--isolation", "chroot", ctr, "--", "node", "-p", "`${process.getuid()}:${process.getgid()}`"],
        {
          encoding: "utf8",
        },
      );
      assert.equal(ids.stdout.trim(), "10001:10001", ids.stderr);
      const node = run(["node", "--version"]).stdout.trim();
      assert.match(node, /^v24\./);

      // buildah has now made its mount points (the volumes, /etc/hosts…): what changes from here on is the probe's doing.
      const before = listing(root);
      const probe = entry(["run", "--json"]);
      assert.equal(probe.status, 0, probe.stdout + probe.stderr);
      const result = JSON.parse(probe.stdout);
      assert.equal(result.ok, true);
      assert.deepEqual(
        result.probes[0].paths.map((p: { name: string; ok: boolean }) => [p.name, p.ok]),
        [
          ["external", true],
          ["internal", true],
        ],
      );
      const after = listing(root);
      assert.deepEqual(
        after.filter((l) => !before.includes(l)),
        [],
        "written outside /tmp",
      );
      // The listing sees a write: root may write where uid 10001 may not.
      assert.equal(run(["node", "-e", "require('fs').writeFileSync('/etc/mailprobe-sentinel', 'x')"], "0:0").status, 0);
      assert.ok(
        listing(root).some((l) => l.startsWith("etc/mailprobe-sentinel ")),
        "the listing shows a file written outside /tmp",
      );
      t.diagnostic(`${node} in the image; the run took ${result.probes[0].durationSeconds} s; ${before.length} entries outside /tmp unchanged`);
    } finally {
      buildah(["rm", ctr]);
    }
  },
);
