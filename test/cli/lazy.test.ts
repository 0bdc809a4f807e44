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
import { cliPath, labConfig, repoRoot } from "../helpers/cli.js";

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
