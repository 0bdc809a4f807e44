// watch's live block colours each path row by the path's state, never by what its rendered text holds
// (a verdict or a label may well contain " OK " or " FAIL ").
import assert from "node:assert/strict";
import { test } from "node:test";
import { liveBlock } from "../../src/watch/view.js";
import type { PathView } from "../../src/watch/tracker.js";

const view = (label: string, state: PathView["state"], verdict: string): PathView => ({
  label,
  probe: "p",
  path: label,
  state,
  verdict,
  streak: 1,
  lastChangeMs: 0,
  runs: 1,
  oks: state === "OK" ? 1 : 0,
  roundtrips: [],
  outages: [],
});

test("each path row is coloured by its state: green OK, bold red FAIL, whatever its verdict says", () => {
  const views = [view("a", "OK", "recovered after a FAIL streak"), view("b", "FAIL", "was OK before: real_ip_forbidden")];
  const lines = liveBlock({ views, cycle: 3, running: false, everyMs: 60_000, budget: { sends: 0, checkedAtMs: 0 }, color: true, width: 200 });
  assert.equal(lines.length, 4);
  assert.match(lines[2]!, /^\x1b\[32ma /);
  assert.match(lines[3]!, /^\x1b\[31;1mb /);
});
