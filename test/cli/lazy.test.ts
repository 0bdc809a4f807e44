// Registration is lazy (issue 22, issue 23): `validate` registers every built-in but loads no IMAP
// client, no SMTP or Brevo client and no prom-client — their code loads on first use. The shipped
// bundle runs with a preload that records every module loaded; each chunk's source map names the
// sources it holds.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { cliPath, labConfig, nodeModulesIn, recordNodeModules, repoRoot } from "../helpers/cli.js";

const HEAVY = /node_modules\/(imapflow|prom-client|nodemailer|@getbrevo)\//;

/** The sources (from the source maps) of every bundle chunk a CLI command loaded. */
function sourcesLoaded(args: string[]): { code: number | null; stderr: string; sources: string[] } {
  const record = join(mkdtempSync(join(tmpdir(), "mailprobe-loads-")), "loads");
  const hook = join(repoRoot, "test", "helpers", "record-loads.mjs");
  const r = spawnSync(process.execPath, ["--import", hook, cliPath, ...args], { env: { ...process.env, MAILPROBE_RECORD_LOADS: record }, encoding: "utf8" });
  const urls = readFileSync(record, "utf8")
    .split("\n")
    .filter((u) => u.startsWith("file:") && u.includes("/dist/bundle/"));
  const sources = urls.flatMap((u) => (JSON.parse(readFileSync(`${fileURLToPath(u)}.map`, "utf8")) as { sources: string[] }).sources);
  return { code: r.status, stderr: r.stderr, sources };
}

test("validate loads no IMAP, SMTP or Brevo client and no prom-client (the registries register lazily)", () => {
  const file = labConfig(() => {});
  const { code, stderr, sources } = sourcesLoaded(["validate", "--config", file]);
  assert.equal(code, 0, stderr);
  // The recording works: the config loader and both built-in sender modules were loaded.
  assert.ok(sources.some((s) => s.endsWith("src/config/load.ts")));
  assert.ok(sources.some((s) => s.endsWith("src/senders/brevo/index.ts")));
  assert.deepEqual([...new Set(sources.filter((s) => HEAVY.test(s)).map((s) => s.match(HEAVY)![1]))], []);
});

/** Node's own modules a CLI command loaded (process.moduleLoadList at exit), and its stderr. */
function nodeModulesLoaded(args: string[]): { code: number | null; stderr: string; loaded: string[] } {
  const r = spawnSync(process.execPath, ["--require", recordNodeModules, cliPath, ...args], { encoding: "utf8" });
  const { loaded, rest } = nodeModulesIn(r.stderr);
  return { code: r.status, stderr: rest, loaded };
}

// Issue 23: an ESM import of a Node built-in builds a facade that reads every export, and node:fs's
// lazy ReadStream getter then loads the whole streams subsystem (~10 ms of every start); the bundle
// takes built-ins by require() (scripts/bundle.mjs), so `--help` (which writes with a plain
// process.stdout to a pipe here) never loads fs's streams, and no start prints a deprecation
// warning for a getter it did not use (node:fs's F_OK… on Node 24).
test("--help and validate load no fs streams through a built-in's ESM facade, and warn about nothing", () => {
  const file = labConfig(() => {});
  for (const args of [["--help"], ["validate", "--config", file]]) {
    const { code, stderr, loaded } = nodeModulesLoaded(args);
    assert.equal(code, 0, stderr);
    assert.ok(loaded.includes("NativeModule fs"), "the recording works");
    assert.deepEqual(
      loaded.filter((m) => m === "NativeModule internal/fs/streams"),
      [],
      `${args[0]} loaded fs's streams`,
    );
    assert.doesNotMatch(stderr, /Warning/, `${args[0]} printed a warning`);
  }
});

// Issue 23: validate reads the lab config's CA files (caFile) without node:crypto — the certificate's
// outline is checked by src/config/pem.ts; loading crypto and X509Certificate cost ~25 ms.
test("validate checks the CA files without loading node:crypto", () => {
  const file = labConfig(() => {});
  assert.match(readFileSync(file, "utf8"), /caFile:/, "the lab config has CA files to read");
  const { code, stderr, loaded } = nodeModulesLoaded(["validate", "--config", file]);
  assert.equal(code, 0, stderr);
  assert.deepEqual(
    loaded.filter((m) => /^NativeModule (crypto|internal\/crypto\/x509)$/.test(m)),
    [],
  );
});

// Issue 23: --help (and --version, a usage error's stdout) is written straight to fd 1
// (src/cli/stdout-sync.ts): creating process.stdout would load Node's whole stream machinery.
test("--help writes its text without loading Node's streams, all of it, even into a pipe", () => {
  const { code, stderr, loaded } = nodeModulesLoaded(["--help"]);
  assert.equal(code, 0, stderr);
  assert.deepEqual(
    loaded.filter((m) => m === "NativeModule stream"),
    [],
    "--help loaded node:stream",
  );
  const r = spawnSync(process.execPath, [cliPath, "--help"], { encoding: "utf8" });
  assert.match(r.stdout, /^mailprobe \S+: end-to-end mail-path probe/);
  assert.match(r.stdout, /validate/);
  assert.ok(r.stdout.endsWith("\n"));
});
