// The hostile-peer matrix, short slice (issue 18): every misbehaviour once and every protocol once,
// through the shipped CLI, concurrently. The whole matrix: test/long/hostile-matrix.test.ts.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
// Through the shipped bundle, with the lab's certificates and Pushgateway (this import also files
// the test among those that need the lab: scripts/test-files.sh).
import { cliPath } from "../helpers/cli.js";
import { printMatrix, runMatrix, withinBound, type Case } from "./matrix.js";

const SLICE: Case[] = [
  { stage: "relay greeting", behaviour: "syn-drop", command: "run" },
  { stage: "relay greeting", behaviour: "syn-drop", command: "doctor" },
  { stage: "imap greeting", behaviour: "silent", command: "run" },
  { stage: "smtp sender greeting", behaviour: "trickle", command: "run" },
  { stage: "kuma", behaviour: "endless", command: "run" },
  { stage: "brevo", behaviour: "huge", command: "run" },
  { stage: "tidy", behaviour: "huge", command: "run" },
  { stage: "pushgateway", behaviour: "close", command: "run" },
  { stage: "imap select", behaviour: "trickle", command: "serve" },
];

test("hostile peers, one of each behaviour and protocol: run, doctor and serve end by their bound, RSS under the chart's limit", async () => {
  assert.ok(existsSync(cliPath), "npm run build first");
  const rows = await runMatrix(SLICE, 3);
  console.log(printMatrix(rows));
  const bad = rows.filter((r) => !withinBound(r));
  assert.deepEqual(
    bad.map((r) => `${r.stage}/${r.behaviour}/${r.command}: ${r.ms} ms (bound ${r.boundMs}), ${r.peakRssBytes} B`),
    [],
  );
  const tidy = rows.find((r) => r.stage === "tidy")!;
  assert.match(tidy.detail, /clean-up skipped, nothing deleted/);
});
