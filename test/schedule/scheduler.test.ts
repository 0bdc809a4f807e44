// The scheduler's no-overlap rule: a probe still running is never started a second time; the
// overrun is skipped and counted (onOverrun), not queued. Real node-cron ticks (every second).
import assert from "node:assert/strict";
import { test } from "node:test";
import { createScheduler } from "../../src/schedule/scheduler.js";

test("trigger while running: undefined, and the one run finishes alone", async () => {
  let release!: () => void;
  let starts = 0;
  const s = createScheduler<number>({
    schedules: {},
    run: () => {
      starts++;
      return new Promise<number>((r) => (release = () => r(starts)));
    },
  });
  const first = s.trigger("p");
  assert.ok(first);
  assert.equal(s.trigger("p"), undefined);
  assert.deepEqual(s.running(), ["p"]);
  release();
  assert.equal(await first, 1);
  assert.deepEqual(s.running(), []);
  const again = s.trigger("p");
  assert.ok(again, "a finished probe may run again");
  release();
  await again;
  assert.equal(starts, 2);
});

test("cron ticks during a long run are overruns, never a second concurrent run", async () => {
  let concurrent = 0;
  let maxConcurrent = 0;
  let runs = 0;
  const overruns: string[] = [];
  const s = createScheduler<void>({
    schedules: { slow: "* * * * * *" },
    onOverrun: (p) => overruns.push(p),
    run: async () => {
      runs++;
      maxConcurrent = Math.max(maxConcurrent, ++concurrent);
      await new Promise((r) => setTimeout(r, 2500));
      concurrent--;
    },
  });
  s.start();
  await new Promise((r) => setTimeout(r, 4200));
  await s.stop(5000);
  assert.equal(maxConcurrent, 1);
  assert.ok(runs >= 1 && overruns.length >= 1, `runs ${runs}, overruns ${overruns.length}`);
  assert.ok(overruns.every((p) => p === "slow"));
});

test("stop aborts a run that outlasts the grace period", async () => {
  let reason: unknown;
  const s = createScheduler<void>({
    schedules: {},
    run: (_p, signal) => new Promise<void>((r) => signal.addEventListener("abort", () => ((reason = signal.reason), r()))),
  });
  s.trigger("p");
  await s.stop(50);
  assert.match(String((reason as Error)?.message), /grace/);
});
