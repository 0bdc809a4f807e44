// The IMAP shapes matrix, short tier (test/shapes/matrix.ts): a slice of the cells, and the issue's
// breakages each on one server where it happened (test/long/shapes.test.ts runs everything).
import assert from "node:assert/strict";
import { test } from "node:test";
import { failingShapes, runCell, type CaseId } from "./matrix.js";
import { storeById, type StoreId } from "../lab/stores.js";

// Every store once and every breakage once: the breakages cover Dovecot INBOX., Cyrus traditional and
// without UIDPLUS, and Courier; this cell Cyrus's altnamespace (7 tests, 2 min at a load average of 25
// on 2 cores; 9 took 2.5 min). SNAT and foreign mail kept are proved on the main Dovecot in npm test
// (test/e2e, test/receivers) and on every store by the long tier.
const slice: [StoreId, CaseId][] = [["cyrus-alt", "healthy"]];
const breakages = [
  "courier-no-uidnext",
  "mailbox-inbox-cyrus-trad",
  "junk-under-inbox-dovecot-inboxdot",
  "junk-never-swept",
  "trash-ignored",
  "courier-slow-junk",
];

for (const [store, c] of slice) {
  test(`shapes: ${store} × ${c}`, async () => {
    const cell = await runCell(storeById(store), c);
    assert.ok(cell.ok, cell.detail);
  });
}

for (const id of breakages) {
  const shape = failingShapes.find((f) => f.id === id)!;
  test(`issue 19 breakage on ${shape.store}: ${shape.what}`, async () => {
    await shape.run(storeById(shape.store));
  });
}
