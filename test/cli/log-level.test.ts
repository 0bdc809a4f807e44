// The log level: config `log.level` decides; MAILPROBE_LOG_LEVEL overrides it and is validated like
// any field (exit 2 naming it), not an internal error.
import assert from "node:assert/strict";
import { test } from "node:test";
import { labConfig, runCli } from "../helpers/cli.js";

test("config log.level is honoured; a bad MAILPROBE_LOG_LEVEL exits 2 naming the variable", async () => {
  const debug = labConfig((c) => (c.log = { level: "debug" }));
  const ok = await runCli(["validate", "--config", debug], { env: { MAILPROBE_LOG_LEVEL: "" } });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stderr, /"level":"debug".*"msg":"config loaded"/);
  const quiet = await runCli(["validate", "--config", debug], { env: { MAILPROBE_LOG_LEVEL: "error" } });
  assert.equal(quiet.code, 0, quiet.stderr);
  assert.doesNotMatch(quiet.stderr, /"level":"debug"/, "the override wins over the config");
  const bad = await runCli(["validate", "--config", debug], { env: { MAILPROBE_LOG_LEVEL: "loud" } });
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /MAILPROBE_LOG_LEVEL: "loud" is not a log level; use one of fatal, error, warn, info, debug, trace, silent/);
  assert.doesNotMatch(bad.stderr, /internal error/);
  const badConfig = await runCli(["validate", "--config", labConfig((c) => (c.log = { level: "loud" }))]);
  assert.equal(badConfig.code, 2);
  assert.match(badConfig.stderr, /log\.level/);
});
