// The IMAP session cap end to end (issue 23): one `mailprobe run` of three probes with two paths each,
// every path logging in as probe@lab.test through a counting relay of ours in front of the lab's
// Dovecot, with imapSessionsPerUser: 2. The relay proves that never more than 2 sessions were open at
// once, and the result that the paths which waited for a slot count the wait as their open and still
// measure their roundtrip from the send.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { port } from "../lab/topology.js";
import { labConfig, runCli } from "../helpers/cli.js";
import { sessionCounter, type SessionCounter } from "../helpers/session-counter.js";

let relay: SessionCounter;
before(async () => {
  relay = await sessionCounter(port.imapsStock);
});
after(() => relay.close());

test("imapSessionsPerUser: 2 holds three 2-path probes to 2 sessions at once; a waiting path's open includes its wait, its roundtrip counts from the send", async () => {
  const cfg = labConfig((c) => {
    const base = c.probes[0];
    delete base.relayCheck;
    delete c.pushgateway;
    c.imapSessionsPerUser = 2;
    c.probes = ["cap_a", "cap_b", "cap_c"].map((name) => ({
      ...base,
      name,
      paths: ["one", "two"].map((p) => ({ name: p, host: "127.0.0.1", port: relay.port })),
    }));
  });
  const r = await runCli(["run", "--config", cfg, "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const paths = r.json.probes.flatMap((p: any) => p.paths);
  const seen = JSON.stringify(r.json.probes.map((p: any) => [p.durationSeconds, p.paths.map((x: any) => [x.openSeconds, x.roundtripSeconds])]));
  assert.equal(paths.length, 6);
  for (const p of paths) assert.equal(p.ok, true, JSON.stringify(p));
  assert.ok(relay.total() >= 6, `every path opened a session through the relay (${relay.total()})`);
  assert.ok(relay.max() <= 2, `at most 2 sessions at once, the relay saw ${relay.max()}`);
  assert.equal(relay.now(), 0, "every session was closed");

  // The probe that got its slots first finished before the others could open: their opens waited for it.
  const fastest = Math.min(...r.json.probes.map((p: any) => p.durationSeconds));
  const waited = paths.reduce((a: any, b: any) => (b.openSeconds > a.openSeconds ? b : a));
  assert.ok(waited.openSeconds >= 0.8 * fastest, `the slowest open (${waited.openSeconds} s) includes the wait for the first probe (${fastest} s): ${seen}`);
  // Its message was sent while it waited: the roundtrip counts from the send, so it holds the wait too.
  assert.ok(waited.roundtripSeconds >= 0.5 * waited.openSeconds, seen);
});
