// The IMAP shapes matrix, short tier: a representative slice (every store once, every case once) of
// test/shapes/matrix.ts; test/long/shapes.test.ts runs every cell.
import assert from "node:assert/strict";
import { test } from "node:test";
import { runCell, type CaseId } from "./matrix.js";
import { storeById, type StoreId } from "../lab/stores.js";

const slice: [StoreId, CaseId][] = [
  ["courier", "healthy"],
  ["cyrus-trad", "junk"],
  ["dovecot-inboxdot", "stale-swept"],
  ["cyrus-nouidplus", "foreign-kept"],
  ["cyrus-alt", "doctor"],
  ["dovecot-inboxdot", "snat"],
];

for (const [store, c] of slice) {
  test(`shapes: ${store} × ${c}`, async () => {
    const cell = await runCell(storeById(store), c);
    assert.ok(cell.ok, cell.detail);
  });
}
