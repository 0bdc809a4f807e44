// Per-command help and option checking, driven by the one command table (src/cli/commands.ts),
// through the built CLI.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCli } from "../helpers/cli.js";

test("`run --help` and `help watch` show that command's options and an example, exit 0", async () => {
  const run = await runCli(["run", "--help"]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^usage: mailprobe run \[--config FILE\] \[--json\] \[--probe NAME\]…$/m);
  assert.match(run.stdout, /--probe NAME +only this probe/);
  assert.doesNotMatch(run.stdout, /--every/, "run's help lists only run's options");
  assert.match(run.stdout, /examples:\n {2}mailprobe run --config/);
  const watch = await runCli(["help", "watch"]);
  assert.equal(watch.code, 0, watch.stderr);
  for (const o of ["--every DUR", "--count N", "--via TYPE", "--force"]) assert.match(watch.stdout, new RegExp(o), o);
  assert.match(watch.stdout, /mailprobe watch --config \S+ --every 30s/);
  const validate = await runCli(["validate", "-h"]);
  assert.match(validate.stdout, /usage: mailprobe validate \[--config FILE\] \[--json\]$/m);
  const top = await runCli(["--help"]);
  assert.equal(top.code, 0);
  for (const c of ["run", "serve", "watch", "doctor", "validate"]) assert.match(top.stdout, new RegExp(`^ {2}${c} +\\S`, "m"), c);
});

test("an unknown option, an option of another command, a missing value: one line naming it, the usage, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [["run", "--frobnicate"], /^mailprobe run: unknown option --frobnicate$/],
    [["run", "--every", "30s"], /^mailprobe run: --every is not an option of run \(watch takes it\)$/],
    [["validate", "--probe", "x"], /^mailprobe validate: --probe is not an option of validate/],
    [["doctor", "--config"], /^mailprobe doctor: option --config needs a value \(FILE\)$/],
    [["run", "--json=yes"], /^mailprobe run: option --json takes no value$/],
    [["run", "extra"], /^mailprobe run: run takes no arguments, got extra \(options start with --\)$/],
  ];
  for (const [args, first] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, args.join(" "));
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 2, r.stderr);
    assert.match(lines[0]!, first);
    assert.match(lines[1]!, new RegExp(`^usage: mailprobe ${args[0]} \\[`));
    assert.doesNotMatch(r.stderr, /To specify a positional argument/, "not Node's parseArgs text");
    assert.equal(r.stdout, "");
  }
  const unknown = await runCli(["help", "frobnicate"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^mailprobe: unknown command frobnicate$/m);
  const bare = await runCli([]);
  assert.equal(bare.code, 2);
  assert.match(bare.stderr, /usage: mailprobe <command>/);
});
