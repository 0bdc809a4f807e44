// issue 23, memory: `serve` and `watch` started without a V8 memory flag (an npm install's shebang,
// a systemd unit) replace themselves, same pid, with a Node given --lite-mode as the image runs them;
// a memory flag of the caller's (command line or NODE_OPTIONS) is left as is, and the one-shot
// commands never pay a second start. The decision is a pure function (tested on its cases); the
// shipped bundle is then started for real and its /proc/PID/cmdline read while it serves.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { memoryFlag, reexecArgv } from "../../src/cli/reexec.js";
import { cliPath, waitUntil } from "../helpers/cli.js";

const base = { execPath: "/usr/bin/node", execArgv: [] as string[], nodeOptions: undefined as string | undefined, nodeVersion: "24.9.0" };
const MEMORY_FLAG = "--lite-mode";
const argv = (...a: string[]) => ["/usr/bin/node", "/app/mailprobe.js", ...a];

test("serve and watch without a memory flag are re-executed with --lite-mode; a caller's flag or another command is left alone", () => {
  assert.deepEqual(reexecArgv({ ...base, argv: argv("serve", "--config", "c.yaml") }), [
    "/usr/bin/node",
    MEMORY_FLAG,
    "/app/mailprobe.js",
    "serve",
    "--config",
    "c.yaml",
  ]);
  // The caller's other Node flags are kept, before the script.
  assert.deepEqual(reexecArgv({ ...base, execArgv: ["--enable-source-maps"], argv: argv("watch", "--count", "3") }), [
    "/usr/bin/node",
    "--enable-source-maps",
    MEMORY_FLAG,
    "/app/mailprobe.js",
    "watch",
    "--count",
    "3",
  ]);
  for (const cmd of ["run", "validate", "doctor", "--version", "--help"]) assert.equal(reexecArgv({ ...base, argv: argv(cmd) }), undefined, cmd);
  assert.equal(reexecArgv({ ...base, argv: argv() }), undefined);
  // Node 22's V8 warns on every --lite-mode start: the young generation is held small instead.
  assert.deepEqual(reexecArgv({ ...base, nodeVersion: "22.15.0", argv: argv("serve") })?.[1], "--max-semi-space-size=1");
  // A memory flag anywhere the caller can give one: the command line (dashes or underscores) or NODE_OPTIONS.
  for (const execArgv of [
    ["--lite-mode"],
    ["--max-old-space-size=200"],
    ["--max_semi_space_size=2"],
    ["--optimize-for-size"],
    ["--max-young-generation-size=8"],
  ])
    assert.equal(reexecArgv({ ...base, execArgv, argv: argv("serve") }), undefined, execArgv[0]);
  for (const nodeOptions of ["--max-semi-space-size=16", "--enable-source-maps --max-old-space-size=96", '--title "x y" --max_old_space_size=64'])
    assert.equal(reexecArgv({ ...base, nodeOptions, argv: argv("serve") }), undefined, nodeOptions);
  // Other NODE_OPTIONS are not a memory choice.
  assert.ok(reexecArgv({ ...base, nodeOptions: "--enable-source-maps --max-http-header-size=9000", argv: argv("serve") }));
});

/** A serve config with no lab behind it: its start-up run fails (nothing listens), serve stays up. */
function serveConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-flags-"));
  const file = join(dir, "config.yaml");
  writeFileSync(
    file,
    `tokenKey: flags-test-key-0123456789abcdefghijklmnopqrstuv
serve: { listen: 127.0.0.1, port: 0, runOnStart: false, schedule: "0 0 1 1 *" }
probes:
  - name: p
    timeoutSeconds: 5
    sender: { type: smtp, host: 127.0.0.1, port: 1, security: starttls, from: a@example.test }
    to: b@example.test
    imap: { user: b@example.test, password: not-a-real-password, security: tls }
    paths: [{ name: only, host: 127.0.0.1, port: 1 }]
`,
  );
  return file;
}

/** Starts `serve` as given, waits until it serves, and returns its pid's command line. */
const FLAG_HERE = memoryFlag(process.versions.node);

async function servingCmdline(nodeArgs: string[], env: NodeJS.ProcessEnv): Promise<{ pid: number; cmdline: string[] }> {
  const child = spawn(process.execPath, [...nodeArgs, cliPath, "serve", "--config", serveConfig()], {
    env: { ...process.env, NODE_OPTIONS: "", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const closed = new Promise((r) => child.once("close", r));
  try {
    await waitUntil("serve to log serving", async () => (stderr.includes('"msg":"serving"') ? true : child.exitCode !== null ? false : undefined), 60_000);
    assert.ok(stderr.includes('"msg":"serving"'), `serve exited ${child.exitCode}: ${stderr}`);
    return { pid: child.pid!, cmdline: readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0").filter(Boolean) };
  } finally {
    child.kill("SIGTERM");
    await closed;
  }
}

test("the shipped bundle's serve runs with --lite-mode in the same process; NODE_OPTIONS or a command-line memory flag keep theirs", async () => {
  const plain = await servingCmdline([], {});
  assert.equal(plain.cmdline.indexOf(FLAG_HERE), 1, `a Node flag, before the script: ${plain.cmdline.join(" ")}`);
  const viaEnv = await servingCmdline([], { NODE_OPTIONS: "--max-semi-space-size=2" });
  assert.ok(!viaEnv.cmdline.includes(FLAG_HERE), viaEnv.cmdline.join(" "));
  const viaArgv = await servingCmdline(["--max-old-space-size=128"], {});
  assert.deepEqual(viaArgv.cmdline.slice(1, 3), ["--max-old-space-size=128", cliPath]);
});
