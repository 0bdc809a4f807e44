// The whole IMAP shapes matrix (test/shapes/matrix.ts): every lab store × every case, printed as a
// table (docs/imap-servers.md keeps the last long run's). Runs with MAILPROBE_LONG=1 (npm run test:long).
import assert from "node:assert/strict";
import { test } from "node:test";
import { allCells, runCell, table, type Cell } from "../shapes/matrix.js";

test("IMAP shapes matrix: every store × every case", { skip: !process.env.MAILPROBE_LONG && "MAILPROBE_LONG=1 runs it" }, async () => {
  const cells: Cell[] = [];
  for (const [s, c] of allCells()) cells.push(await runCell(s, c));
  console.log(table(cells));
  const failed = cells.filter((c) => !c.ok);
  assert.deepEqual(
    failed.map((c) => `${c.store.id} × ${c.case}: ${c.detail}`),
    [],
  );
});
