// Hard deadlines (issue 12 item 3), each staged with a misbehaving server of ours on loopback
// (test/helpers/trickle.ts): it answers the first steps, then trickles one byte every 2 s, which no
// idle timeout ever trips. A run must end by timeoutSeconds + the cleanup budget (10 s) + the sink
// budget (the slowest sink timeout) + 1 s; `serve` must exit within shutdownGraceSeconds of SIGTERM.
// SLACK_MS is what the tests allow on top for process start-up on a loaded 2-core machine.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { addr, port } from "../lab/topology.js";
import { labConfig, runCli, sleep, startCli, waitUntil } from "../helpers/cli.js";
import { trickleHttp, trickleImap, type Trickler } from "../helpers/trickle.js";

const SLACK_MS = 4000;
const CLEANUP_BUDGET_MS = 10_000;
const servers: Trickler[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

async function http(): Promise<Trickler> {
  const s = await trickleHttp();
  servers.push(s);
  return s;
}

test("a Pushgateway and a Kuma that trickle their answers: the run ends within its sink budget + 1 s, both sinks reported failed", async () => {
  const gw = await http();
  const kuma = await http();
  const cfg = labConfig((c) => {
    c.probes[0].name = "dl_sinks";
    c.probes[0].timeoutSeconds = 15;
    c.pushgateway = { url: `http://${addr.listen}:${gw.port}`, job: "mailprobe", timeoutSeconds: 3 };
    const k = `http://${addr.listen}:${kuma.port}/api/push/`;
    c.probes[0].kuma = { pushUrl: `${k}labprobe`, timeoutSeconds: 3 };
    for (const p of c.probes[0].paths) p.kuma = { pushUrl: `${k}lab${p.name}`, timeoutSeconds: 1 };
  });
  const res = await runCli(["run", "--config", cfg, "--json"], { timeoutMs: 60_000 });
  const r = res.json.probes[0];
  assert.equal(r.ok, true, res.stderr);
  // The sink budget is the slowest sink timeout: Kuma's 3 s here.
  const afterRunMs = res.ms - r.durationSeconds * 1000;
  assert.ok(afterRunMs <= 3000 + 1000 + SLACK_MS, `the sinks took ${afterRunMs} ms after a ${r.durationSeconds} s run`);
  const failed = r.sinks.filter((s: any) => !s.ok).map((s: any) => s.sink);
  assert.ok(failed.includes("pushgateway") && failed.includes("kuma"), JSON.stringify(r.sinks));
  assert.ok(
    gw.seen.some((x) => x.startsWith("PUT /metrics/job/mailprobe/probe/dl_sinks")),
    JSON.stringify(gw.seen),
  );
  assert.ok(kuma.seen.length >= 3, JSON.stringify(kuma.seen));
  await waitUntil("the trickled sockets to be destroyed", async () => (gw.closedByClient() >= 1 && kuma.closedByClient() >= 3 ? true : undefined), 5000);
});

test("an IMAP server that trickles a FETCH in cleanup (Junk look, then the sweep queued behind it): the run ends within timeout + cleanup budget + sink budget + 1 s", async () => {
  const imap = await trickleImap();
  servers.push(imap);
  const timeoutSeconds = 4;
  const cfg = labConfig((c) => {
    c.probes[0].name = "dl_imap";
    c.probes[0].timeoutSeconds = timeoutSeconds;
    c.probes[0].cleanup = { staleAfterSeconds: 3600 };
    // The real path finds and deletes the message; ours holds a FETCH (the wait's or the Junk look's),
    // and the stale sweep (another account: swept on its own) comes after it.
    c.probes[0].paths = [
      { name: "internal", host: addr.listen, port: port.imapsStock },
      { name: "trickle", host: addr.listen, port: imap.port, user: "trickle@lab.test" },
    ];
  });
  const res = await runCli(["run", "--config", cfg, "--json"], { timeoutMs: 90_000 });
  const boundMs = timeoutSeconds * 1000 + CLEANUP_BUDGET_MS + 5000 + 1000;
  assert.ok(res.ms <= boundMs + SLACK_MS, `the run took ${res.ms} ms, bound ${boundMs} ms`);
  assert.ok(imap.seen.includes("UID FETCH"), `the Junk look reached the trickled FETCH: ${imap.seen.join(",")}`);
  const r = res.json.probes[0];
  assert.ok(r.cleanup.errors.includes("last look stopped after 4 s"), JSON.stringify(r.cleanup));
  // The held command is the wait's own: the last look waits for it within its 4 s, then closes that
  // session (no command may interleave with it), so the sweep there fails at once instead of queueing.
  assert.ok(
    r.cleanup.errors.some((e: string) => /^trickle: stale sweep failed/.test(e)),
    JSON.stringify(r.cleanup),
  );
  assert.equal(r.paths.find((p: any) => p.name === "internal").deleted, true, JSON.stringify(r, null, 1));
});

test("serve + SIGTERM while a cycle is held by a trickling IMAP server: exits within shutdownGraceSeconds", async () => {
  const imap = await trickleImap();
  servers.push(imap);
  const grace = 3;
  const cfg = labConfig((c) => {
    c.probes[0].name = "dl_serve";
    c.probes[0].timeoutSeconds = 3;
    c.probes[0].schedule = "*/2 * * * * *";
    c.probes[0].paths = [
      { name: "internal", host: addr.listen, port: port.imapsStock },
      { name: "trickle", host: addr.listen, port: imap.port },
    ];
    c.serve = { listen: addr.listen, port: 0, shutdownGraceSeconds: grace };
  });
  const cli = startCli(["serve", "--config", cfg]);
  try {
    await waitUntil("the cycle to be held in cleanup's FETCH", async () => (imap.seen.includes("UID FETCH") ? true : undefined), 40_000);
    const t0 = Date.now();
    cli.child.kill("SIGTERM");
    const exited = await Promise.race([cli.exited, sleep(30_000).then(() => undefined)]);
    const ms = Date.now() - t0;
    assert.ok(exited, `serve did not exit within 30 s of SIGTERM\n${cli.err().slice(-2000)}`);
    assert.equal(exited.code, 0, cli.err().slice(-2000));
    assert.ok(ms <= grace * 1000 + SLACK_MS, `serve took ${ms} ms to exit, grace ${grace} s`);
  } finally {
    cli.child.kill("SIGKILL");
  }
});

test("doctor against an IMAP server that trickles its answer to SELECT: the path's checks fail at the doctor deadline (shortened to 5 s here; 30 s in the product), doctor ends", async () => {
  const imap = await trickleImap(["SELECT", "EXAMINE"]);
  servers.push(imap);
  const cfg = labConfig((c) => {
    c.probes[0].paths = [{ name: "trickle", host: addr.listen, port: imap.port }];
  });
  // The group deadline is the mechanism under test, not its length (DOCTOR_CHECK_MS, src/doctor/checks.ts).
  const res = await runCli(["doctor", "--config", cfg, "--json"], { timeoutMs: 90_000, env: { MAILPROBE_DOCTOR_CHECK_MS: "5000" } });
  // Start-up under load took up to 10 s here (test/promises/matrix.ts); still far under the product's 30 s.
  assert.ok(res.ms <= 5_000 + 12_000, `doctor took ${res.ms} ms`);
  assert.equal(res.code, 1);
  const check = res.json.checks.find((c: any) => c.scope === "inbound/trickle");
  assert.deepEqual([check.status, check.detail], ["fail", "no complete answer within 5 s"], JSON.stringify(res.json.checks));
  assert.ok(imap.seen.includes("SELECT"), imap.seen.join(","));
});
