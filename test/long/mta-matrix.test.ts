// The whole MTA × filter-stack matrix (test/lab/mta-matrix.ts): each MX (Postfix, Exim, OpenSMTPD)
// behind each stack the lab runs for it, in each case (healthy, SNAT, forged HELO literal, forged
// Received). Prints the table; fails if any cell does.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { cliPath } from "../helpers/cli.js";
import { ALL_CELLS, cellName, knownGap, productKnowsMta, resetLab, runCell } from "../lab/mta-matrix.js";

after(resetLab);

test(`MTA × stack matrix: ${ALL_CELLS.length} cells`, { timeout: 900_000 }, async () => {
  const knowsMta = productKnowsMta(cliPath);
  const rows: string[] = [];
  const failed: string[] = [];
  for (const cell of ALL_CELLS) {
    const out = await runCell(cell, knowsMta);
    const gap = knownGap(cell);
    const mark = out.pass ? "pass" : gap ? "TODO" : "FAIL";
    const row = `${mark}  ${cellName(cell).padEnd(42)} expected ${cell.case.expect.padEnd(9)} mailprobe: ${out.said}${!out.pass && gap ? ` (${gap})` : ""}`;
    rows.push(row);
    if (!out.pass && !gap) failed.push(`${row}\n      ${out.header ?? ""}`);
  }
  console.log([`received.mta ${knowsMta ? "set per MX" : "unknown to the product: every MX read as Postfix"}`, ...rows].join("\n"));
  assert.deepEqual(failed, [], failed.join("\n"));
});
