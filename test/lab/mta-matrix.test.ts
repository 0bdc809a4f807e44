// A slice of the MTA × filter-stack matrix (test/lab/mta-matrix.ts) in npm test: the forgeries on the
// MXs whose trace headers invite them (Exim's `(helo=[literal])`, a sender-written Postfix-style
// Received below OpenSMTPD's hop). The Exim cell read "ok 127.0.0.42" before received.mta existed. Real MTAs, real filters, the shipped
// CLI; test/long/mta-matrix.test.ts runs all of it.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { cliPath } from "../helpers/cli.js";
import { SLICE, cellName, knownGap, productKnowsMta, resetLab, runCell } from "./mta-matrix.js";

const knowsMta = productKnowsMta(cliPath);
after(resetLab);

for (const cell of SLICE) {
  test(
    `${cellName(cell)}: ${cell.case.expect === "ok" ? "ok with Brevo's address" : "real_ip_forbidden with the SNAT address"}`,
    { todo: knownGap(cell) },
    async () => {
      const out = await runCell(cell, knowsMta);
      assert.ok(out.pass, `mailprobe said ${out.said}${knowsMta ? "" : " (the product has no received.mta: read as Postfix)"}\n${out.header ?? ""}`);
    },
  );
}
