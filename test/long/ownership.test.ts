// The ownership proof's property over many generated mailboxes (the short tier runs 20 seeds in
// test/receivers/ownership.test.ts): no look-alike is ever accepted, every genuine stale message is.
import { test } from "node:test";
import { checkSeed } from "../receivers/lookalikes.js";

const SEEDS = process.env.MAILPROBE_LONG ? 2000 : 50;

test(`ownership proof: ${SEEDS} generated mailboxes of 500 look-alikes, none accepted`, () => {
  for (let seed = 1000; seed < 1000 + SEEDS; seed++) checkSeed(seed, 500);
});
