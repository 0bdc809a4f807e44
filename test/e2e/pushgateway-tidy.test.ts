// Pushgateway clean-up against the lab's real Pushgateway: two deployments (alpha, beta) and one
// without a deployment label share it, all with the same job and probe name. A path or probe that
// alpha no longer configures loses its group; beta's and the unlabelled groups stay; a --probe run
// (one CronJob per probe) deletes only its own probes' removed paths, never another probe's groups.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { addr, port } from "../lab/topology.js";
import { labConfig, runCli, sleep, startCli, waitUntil } from "../helpers/cli.js";

const gw = `http://${addr.listen}:${port.pushgateway}`;
const PROBE = "pg_tidy";

/** The gateway's groups of this test, as "deployment/probe[/path]" ("-" for no deployment label). */
async function groups(): Promise<string[]> {
  const body = (await (await fetch(`${gw}/api/v1/metrics`)).json()) as { data: { labels: Record<string, string> }[] };
  return body.data
    .map((g) => g.labels)
    .filter((l) => l.probe?.startsWith(PROBE))
    .map((l) => [l.deployment ?? "-", l.probe, ...(l.path ? [l.path] : [])].join("/"))
    .sort();
}

function config(deployment: string | undefined, opts: { drop?: "internal"; probe?: string } = {}) {
  return labConfig((c) => {
    if (deployment) c.pushgateway.deployment = deployment;
    c.probes[0].name = opts.probe ?? PROBE;
    if (opts.drop) c.probes[0].paths = c.probes[0].paths.filter((p: any) => p.name !== opts.drop);
  });
}

async function run(file: string, ...extra: string[]) {
  const r = await runCli(["run", "--config", file, ...extra]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r;
}

after(async () => {
  for (const g of await groups()) {
    const [d, probe, path] = g.split("/");
    await fetch(`${gw}/metrics/job/mailprobe${d === "-" ? "" : `/deployment/${d}`}/probe/${probe}${path ? `/path/${path}` : ""}`, { method: "DELETE" });
  }
});

test("pushgateway clean-up: only this deployment's groups of removed paths and probes are deleted", async () => {
  await run(config("beta"));
  await run(config(undefined));
  await run(config("alpha"));
  const all = ["external", "internal"];
  const full = (d: string, probe = PROBE) => [`${d}/${probe}`, ...all.map((p) => `${d}/${probe}/${p}`)];
  assert.deepEqual(await groups(), [...full("-"), ...full("alpha"), ...full("beta")].sort());

  // The full run: alpha's internal path group goes; beta's and the unlabelled one stay.
  const r = await run(config("alpha", { drop: "internal" }));
  assert.match(r.stderr, /removed a group this deployment no longer configures/);
  assert.deepEqual(await groups(), [...full("-"), `alpha/${PROBE}`, `alpha/${PROBE}/external`, ...full("beta")].sort());

  // The probe renamed: every group of the old name in alpha goes, the new one is pushed.
  await run(config("alpha", { probe: `${PROBE}2` }));
  assert.deepEqual(await groups(), [...full("-"), ...full("alpha", `${PROBE}2`), ...full("beta")].sort());
});

test("serve (with serve.push) cleans up at start too: a path it no longer configures loses its group, other deployments keep theirs", async () => {
  await run(config("alpha"));
  await run(config("beta"));
  const file = labConfig((c) => {
    c.pushgateway.deployment = "alpha";
    c.probes[0].name = PROBE;
    c.probes[0].paths = c.probes[0].paths.filter((p: any) => p.name !== "external");
    c.serve = { listen: addr.listen, port: port.serveMetrics, schedule: "0 0 1 1 *", runOnStart: false, push: true };
  });
  const proc = startCli(["serve", "--config", file]);
  try {
    await waitUntil("alpha's external group deleted", async () => (!(await groups()).includes(`alpha/${PROBE}/external`) ? true : undefined), 15_000);
    const now = await groups();
    for (const g of [`alpha/${PROBE}`, `alpha/${PROBE}/internal`, `beta/${PROBE}/external`, `beta/${PROBE}/internal`]) assert.ok(now.includes(g), g);
  } finally {
    proc.child.kill("SIGTERM");
    await Promise.race([proc.exited, sleep(15_000)]);
    proc.child.kill("SIGKILL");
  }
});

test("--probe (one CronJob per probe): only that probe's removed paths go; another probe's groups stay, even when the config drops them", async () => {
  const [a, b] = [`${PROBE}_pa`, `${PROBE}_pb`];
  /** Probes a and b (or a alone), deployment gamma, each without `drop`'s path. */
  const two = (opts: { drop?: "internal"; onlyA?: boolean } = {}) =>
    labConfig((c) => {
      c.pushgateway.deployment = "gamma";
      const base = c.probes[0];
      if (opts.drop) base.paths = base.paths.filter((p: any) => p.name !== opts.drop);
      c.probes = [{ ...base, name: a }, ...(opts.onlyA ? [] : [{ ...structuredClone(base), name: b }])];
    });
  const all = (probe: string) => [`gamma/${probe}`, `gamma/${probe}/external`, `gamma/${probe}/internal`];
  const gamma = async () => (await groups()).filter((g) => g.startsWith("gamma/"));
  await run(two());
  assert.deepEqual(await gamma(), [...all(a), ...all(b)].sort());

  // Probe b dropped from the config and both probes' internal path: a's run deletes a's path group only.
  const r = await run(two({ drop: "internal", onlyA: true }), "--probe", a);
  assert.match(r.stderr, /removed a group this deployment no longer configures/);
  assert.deepEqual(await gamma(), [`gamma/${a}`, `gamma/${a}/external`, ...all(b)].sort());

  // b's own job (its config still has b) then removes b's dropped path.
  await run(two({ drop: "internal" }), "--probe", b);
  assert.deepEqual(await gamma(), [`gamma/${a}`, `gamma/${a}/external`, `gamma/${b}`, `gamma/${b}/external`].sort());
});
