// The whole IMAP shapes matrix (test/shapes/matrix.ts): every lab store × every case, printed as a
// table (docs/imap-servers.md keeps the last long run's). Runs with MAILPROBE_LONG=1 (npm run test:long).
import assert from "node:assert/strict";
import { test } from "node:test";
import { allCells, failingShapes, runCell, table, type Cell } from "../shapes/matrix.js";
import { storeById } from "../lab/stores.js";

test("IMAP shapes matrix: every store × every case", { skip: !process.env.MAILPROBE_LONG && "MAILPROBE_LONG=1 runs it" }, async () => {
  const cells: Cell[] = [];
  for (const [s, c] of allCells()) cells.push(await runCell(s, c));
  const breakages: string[] = [];
  for (const f of failingShapes) {
    const t = Date.now();
    const out = await f.run(storeById(f.store)).then(
      (detail) => `- ${f.id} (${f.what}): pass (${((Date.now() - t) / 1000).toFixed(1)} s) — ${detail}`,
      (err: Error) => `- ${f.id} (${f.what}): FAIL — ${err.message.split("\n")[0]}`,
    );
    breakages.push(out);
  }
  console.log(`${table(cells)}\n\nIssue 19's breakages:\n${breakages.join("\n")}`);
  const failed = [...cells.filter((c) => !c.ok), ...breakages.filter((b) => b.includes(": FAIL"))];
  assert.deepEqual(
    failed.map((c) => (typeof c === "string" ? c : `${c.store.id} × ${c.case}: ${c.detail}`)),
    [],
  );
});
