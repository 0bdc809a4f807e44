// The long tier's echo matrix (issue 18): every stage × every encoding × every command (run human and
// --json, serve's /probe, watch), each output searched for every secret by the independent decoder.
// The short slice is test/promises/echo-every-stage.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import { ALL_CELLS, printCells, runCells } from "../promises/echo-matrix.js";

test(`peers echoing credentials, the whole matrix (${ALL_CELLS.length} cells): no secret in any output`, { timeout: 3 * 3600_000 }, async () => {
  const rows = await runCells(ALL_CELLS, 4);
  console.log(printCells(rows));
  assert.deepEqual(
    rows.filter((r) => r.echoed === 0).map((r) => `${r.stage}/${r.encoding}/${r.command}`),
    [],
  );
  assert.deepEqual(
    rows.filter((r) => r.leaks.length || r.broken.length).map((r) => `${r.stage}/${r.encoding}/${r.command}: ${[...r.leaks, ...r.broken].join("; ")}`),
    [],
  );
});
