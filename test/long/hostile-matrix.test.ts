// The long tier's hostile-peer matrix (issue 18): every stage of every protocol × every
// misbehaviour × run, doctor and serve (+ SIGTERM), each ending by its documented bound with the
// peak RSS under the chart's limit; the matrix is printed (with what /healthz answered under serve).
// The short slice is test/promises/hostile.test.ts; the property test of the sanitiser runs its
// long count here too (MAILPROBE_LONG=1).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ALL_CASES, printMatrix, runMatrix, withinBound } from "../promises/matrix.js";

await import("../promises/redact.property.test.js");

test(
  `hostile peers, the whole matrix (${ALL_CASES.length} cases): every command ends by its bound, RSS under the chart's limit`,
  { timeout: 3 * 3600_000 },
  async () => {
    const rows = await runMatrix(ALL_CASES, 4);
    console.log(printMatrix(rows));
    const bad = rows.filter((r) => !withinBound(r));
    assert.deepEqual(
      bad.map((r) => `${r.stage}/${r.behaviour}/${r.command}: ${r.ms} ms (bound ${r.boundMs}), ${r.peakRssBytes} B`),
      [],
    );
  },
);
