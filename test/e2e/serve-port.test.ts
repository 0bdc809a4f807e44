// `serve` on a port another process holds: one line naming serve.port, exit 2 (bad config), no stack
// trace. The port is held by a loopback listener of the test.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { addr } from "../lab/topology.js";
import { labConfig, runCli } from "../helpers/cli.js";

test("serve on a port already in use: one line naming serve.port, exit 2", async () => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, addr.listen, () => resolve()));
  const held = (holder.address() as { port: number }).port;
  try {
    const res = await runCli([
      "serve",
      "--config",
      labConfig((c) => (c.serve = { listen: addr.listen, port: held, schedule: "0 0 1 1 *", runOnStart: false })),
    ]);
    assert.equal(res.code, 2, res.stderr);
    const lines = res.stderr.split("\n").filter((l) => l.startsWith("mailprobe:"));
    assert.equal(lines.length, 1, res.stderr);
    assert.match(lines[0]!, new RegExp(`serve\\.port ${held} is already in use .*choose another serve\\.port`));
    assert.doesNotMatch(res.stderr, /internal error|\n\s+at /);
  } finally {
    await new Promise((r) => holder.close(r));
  }
});
