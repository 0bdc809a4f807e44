// Brevo's remaining send credits as a gauge (mailprobe_brevo_credits_remaining{probe}): read once
// per run (GET /v3/account, while the paths open), pushed with the run's group; not for a sender
// without credits.
import assert from "node:assert/strict";
import { test } from "node:test";
import { accounts, addr, brevo, port } from "../lab/topology.js";
import { labConfig, labSmtpSender, runCli } from "../helpers/cli.js";
import { fakeBrevo } from "../helpers/lab.js";

const gateway = async () => (await fetch(`http://${addr.listen}:${port.pushgateway}/metrics`)).text();

function series(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

test("run reads Brevo's credits once and pushes mailprobe_brevo_credits_remaining{probe}", async () => {
  const before = ((await (await fakeBrevo("/__lab/requests")).json()) as any[]).length;
  const r = await runCli(["run", "--config", labConfig((c) => (c.probes[0].name = "cr_run")), "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const requests = ((await (await fakeBrevo("/__lab/requests")).json()) as any[]).slice(before);
  assert.equal(requests.filter((q) => q.path === "/v3/account").length, 1, JSON.stringify(requests));
  // Read before the send, which spent one credit.
  const now = ((await (await fakeBrevo("/v3/account", { headers: { "api-key": brevo.apiKey } })).json()) as any).plan[0].credits;
  assert.equal(r.json.probes[0].send.credits, now + 1);
  assert.equal(series(await gateway(), "mailprobe_brevo_credits_remaining", { job: "mailprobe", probe: "cr_run" }), now + 1);
});

test("a sender without credits (SMTP) reads none and pushes no credits gauge", async () => {
  const r = await runCli([
    "run",
    "--config",
    labConfig((c) => {
      c.probes[0].name = "cr_smtp";
      c.probes[0].sender = labSmtpSender(port.submissionStock, { login: true });
      c.probes[0].to = accounts.probe.user;
      delete c.probes[0].received;
    }),
    "--json",
  ]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(r.json.probes[0].send.credits, undefined);
  const text = await gateway();
  assert.ok(series(text, "mailprobe_run_success", { probe: "cr_smtp" }) === 1, "the run was pushed");
  assert.equal(series(text, "mailprobe_brevo_credits_remaining", { probe: "cr_smtp" }), undefined);
});
