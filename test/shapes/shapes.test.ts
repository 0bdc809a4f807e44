// The IMAP shapes matrix, short tier (test/shapes/matrix.ts): a slice of the cells, and the issue's
// breakages each on one server where it happened (test/long/shapes.test.ts runs everything).
import assert from "node:assert/strict";
import { test } from "node:test";
import { failingShapes, runCell, type CaseId } from "./matrix.js";
import { storeById, type StoreId } from "../lab/stores.js";

const slice: [StoreId, CaseId][] = [
  ["cyrus-alt", "healthy"],
  ["dovecot-inboxdot", "snat"],
  ["cyrus-nouidplus", "foreign-kept"],
];
const breakages = ["courier-no-uidnext", "mailbox-inbox-cyrus-trad", "junk-under-inbox-dovecot-inboxdot", "junk-never-swept", "trash-ignored"];

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
