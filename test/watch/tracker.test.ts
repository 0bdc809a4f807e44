// Pure logic of `watch`: transitions, streaks, outage windows, percentiles, the interval and budget.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { PathResult, ProbeResult } from "../../src/core/result.js";
import { checkBudget, formatDuration, parseDuration } from "../../src/watch/budget.js";
import { verdictPhrase } from "../../src/render/verdict.js";
import { percentile, WatchTracker } from "../../src/watch/tracker.js";

const okPath = (name: string, rt: number): PathResult => ({
  name,
  ok: true,
  roundtripSeconds: rt,
  ip: { ok: true, ip: "127.0.0.42", rule: "expectedCidrs 127.0.0.42/32", match: { list: "expectedCidrs", cidr: "127.0.0.42/32" } },
  deleted: true,
});
const natPath = (name: string): PathResult => ({
  name,
  ok: false,
  reason: "real_ip_forbidden",
  detail: "127.0.0.9: forbiddenCidrs 127.0.0.9/32",
  roundtripSeconds: 0.3,
  ip: { ok: false, reason: "real_ip_forbidden", ip: "127.0.0.9", rule: "forbiddenCidrs 127.0.0.9/32", match: { list: "forbiddenCidrs", cidr: "127.0.0.9/32" } },
  deleted: true,
});
const result = (paths: PathResult[], aborted = false) => ({ probe: "inbound", ok: paths.every((p) => p.ok), aborted, paths }) as unknown as ProbeResult;

test("transitions: OK → FAIL with the evidence, FAIL → OK, none while the state holds", () => {
  const t = new WatchTracker([{ name: "inbound", paths: [{ name: "external" }, { name: "internal" }] }], 0);
  assert.deepEqual(t.observe(result([okPath("external", 0.2), okPath("internal", 0.2)]), 1000), []);
  assert.deepEqual(t.observe(result([okPath("external", 0.3), okPath("internal", 0.2)]), 2000), []);
  const down = t.observe(result([natPath("external"), okPath("internal", 0.2)]), 3000);
  assert.equal(down.length, 1);
  assert.equal(down[0]!.text, "external: OK → FAIL real_ip_forbidden 127.0.0.9 in 127.0.0.9/32");
  assert.deepEqual(t.observe(result([natPath("external"), okPath("internal", 0.2)]), 4000), []);
  assert.equal(t.views()[0]!.streak, 2);
  assert.equal(t.views()[0]!.lastChangeMs, 3000);
  const up = t.observe(result([okPath("external", 0.4), okPath("internal", 0.2)]), 5000);
  assert.equal(up[0]!.text, "external: FAIL → OK ok 127.0.0.42 (expectedCidrs 127.0.0.42/32)");
  const s = t.summary(6000);
  assert.equal(s[0]!.runs, 5);
  assert.equal(s[0]!.availabilityPercent, 60);
  assert.deepEqual(s[0]!.outages, [
    { from: new Date(3000).toISOString(), to: new Date(5000).toISOString(), seconds: 2, reason: "real_ip_forbidden 127.0.0.9 in 127.0.0.9/32" },
  ]);
  assert.deepEqual(s[0]!.roundtripSeconds, { p50: 0.3, p95: 0.4, max: 0.4 });
  assert.equal(s[1]!.availabilityPercent, 100);
  assert.deepEqual(s[1]!.outages, []);
});

test("a path failing from the first cycle is a transition from start; an open outage lasts until the end", () => {
  const t = new WatchTracker([{ name: "inbound", paths: [{ name: "external" }] }], 0);
  const first = t.observe(result([natPath("external")]), 1000);
  assert.equal(first[0]!.text, "external: (start) → FAIL real_ip_forbidden 127.0.0.9 in 127.0.0.9/32");
  const s = t.summary(4000);
  assert.equal(s[0]!.outages[0]!.to, undefined);
  assert.equal(s[0]!.outages[0]!.seconds, 3);
  assert.equal(s[0]!.availabilityPercent, 0);
});

test("an aborted cycle (Ctrl-C) counts for nothing; several probes are labelled probe/path", () => {
  const t = new WatchTracker(
    [
      { name: "a", paths: [{ name: "x" }] },
      { name: "b", paths: [{ name: "x" }] },
    ],
    0,
  );
  assert.deepEqual(t.observe({ ...result([natPath("x")], true), probe: "a" }, 1000), []);
  assert.equal(t.views()[0]!.runs, 0);
  assert.equal(t.views()[1]!.label, "b/x");
});

test("verdicts for non-IP failures carry the reason and a bounded detail", () => {
  assert.equal(
    verdictPhrase({ name: "x", ok: false, reason: "imap_auth", detail: "login refused: [AUTHENTICATIONFAILED]", deleted: false }),
    "imap_auth login refused: [AUTHENTICATIONFAILED]",
  );
  assert.ok(verdictPhrase({ name: "x", ok: false, reason: "imap_error", detail: "y".repeat(500), deleted: false }).length < 110);
  assert.equal(verdictPhrase({ name: "x", ok: true, deleted: true }), "ok");
});

test("percentile: nearest rank", () => {
  assert.equal(percentile([], 0.5), undefined);
  assert.equal(percentile([3, 1, 2], 0.5), 2);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.95), 10);
  assert.equal(percentile([1, 2, 3, 4], 0.5), 2);
});

test("durations: 30s, 2m, 1m30s, plain seconds; below 1 s or garbage is refused", () => {
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("2m"), 120_000);
  assert.equal(parseDuration("1m30s"), 90_000);
  assert.equal(parseDuration("45"), 45_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  for (const bad of ["", "0", "500ms", "soon", "30x", "s30", "-5s"]) assert.equal(parseDuration(bad), undefined, bad);
  assert.equal(formatDuration(90_000), "1m30s");
  assert.equal(formatDuration(13_000), "13s");
});

test("budget: an interval that would spend the credits within the hour is refused, with a safe interval", () => {
  assert.equal(checkBudget({ everyMs: 30_000, creditProbes: 1, credits: 300, via: "Brevo" }).ok, true); // 120/h
  const r = checkBudget({ everyMs: 10_000, creditProbes: 1, credits: 300, via: "Brevo" });
  assert.equal(r.ok, false);
  assert.equal(r.sendsPerHour, 360);
  const safe = Number(/at least (\d+)s/.exec(r.message!)![1]) * 1000;
  assert.equal(checkBudget({ everyMs: safe, creditProbes: 1, credits: 300, via: "Brevo" }).ok, true);
  assert.equal(checkBudget({ everyMs: safe - 1000, creditProbes: 1, credits: 300, via: "Brevo" }).ok, false);
  assert.equal(checkBudget({ everyMs: 30_000, creditProbes: 2, credits: 200, via: "Brevo" }).ok, false); // 240/h
  assert.equal(checkBudget({ everyMs: 1000, creditProbes: 1, credits: undefined, via: "Brevo" }).ok, true);
  assert.equal(checkBudget({ everyMs: 1000, creditProbes: 0, credits: 5, via: "Brevo" }).ok, true);
});
