// serve.push against the lab's real Pushgateway: serve is scraped, so with a pushgateway block in the
// same file it pushes nothing (and tidies nothing) unless serve.push is true; validate says which.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { addr, port } from "../lab/topology.js";
import { labConfig, runCli, sleep, startCli, waitUntil } from "../helpers/cli.js";

const gw = `http://${addr.listen}:${port.pushgateway}`;
const PROBE = "serve_push";
const DEPLOYMENT = "servepush";

/** The gateway's groups of this test, as "probe[/path]". */
async function groups(): Promise<string[]> {
  const body = (await (await fetch(`${gw}/api/v1/metrics`)).json()) as { data: { labels: Record<string, string> }[] };
  return body.data
    .map((g) => g.labels)
    .filter((l) => l.deployment === DEPLOYMENT)
    .map((l) => [l.probe, ...(l.path ? [l.path] : [])].join("/"))
    .sort();
}

async function deleteAll() {
  for (const g of await groups()) {
    const [probe, path] = g.split("/");
    await fetch(`${gw}/metrics/job/mailprobe/deployment/${DEPLOYMENT}/probe/${probe}${path ? `/path/${path}` : ""}`, { method: "DELETE" });
  }
}

/** A group of a probe this deployment no longer configures: a tidy would delete it. */
async function seedStale() {
  const res = await fetch(`${gw}/metrics/job/mailprobe/deployment/${DEPLOYMENT}/probe/${PROBE}_gone`, {
    method: "PUT",
    body: "# TYPE serve_push_seed gauge\nserve_push_seed 1\n",
  });
  assert.ok(res.ok, `seeding a stale group: HTTP ${res.status}`);
}

after(deleteAll);

function config(push: boolean | undefined) {
  return labConfig((c) => {
    c.pushgateway.deployment = DEPLOYMENT;
    c.probes[0].name = PROBE;
    // Port 0: any free port (the lab's serve port may be another test's).
    c.serve = { listen: addr.listen, port: 0, schedule: "0 0 1 1 *", runOnStart: true, ...(push === undefined ? {} : { push }) };
  });
}

/** serve until its first cycle has finished; returns its log. */
async function serveOneCycle(file: string): Promise<string> {
  const proc = startCli(["serve", "--config", file]);
  try {
    await waitUntil("the first cycle", async () => (/"msg":"run finished"/.test(proc.err()) ? true : undefined), 90_000);
    // The start-up tidy runs beside the cycle: give it the gateway's timeout to finish.
    await sleep(1000);
    return proc.err();
  } finally {
    proc.child.kill("SIGTERM");
    await Promise.race([proc.exited, sleep(15_000)]);
    proc.child.kill("SIGKILL");
  }
}

test("serve with a pushgateway block and serve.push unset (false): pushes nothing and tidies nothing", async () => {
  await deleteAll();
  await seedStale();
  const file = config(undefined);
  const v = await runCli(["validate", "--config", file]);
  assert.match(v.stdout, /serve does not push \(serve\.push: false\)/);
  const log = await serveOneCycle(file);
  assert.match(log, /"msg":"run finished"/);
  assert.deepEqual(await groups(), [`${PROBE}_gone`], "no group of the probe pushed, the stale one left alone");
  assert.doesNotMatch(log, /removed a group/);
});

test("serve with serve.push: true pushes every cycle and tidies at start", async () => {
  await deleteAll();
  await seedStale();
  const file = config(true);
  const v = await runCli(["validate", "--config", file, "--json"]);
  assert.equal(v.json.servePush, true);
  const log = await serveOneCycle(file);
  assert.match(log, /removed a group this deployment no longer configures/);
  assert.deepEqual(await groups(), [PROBE, `${PROBE}/external`, `${PROBE}/internal`]);
});
