// What Brevo's side of the roundtrip looks like to a run, on the real lab with the fake Brevo:
// - a recipient on Brevo's blocklist (Brevo answers 201 and never delivers): with unblockRecipient off
//   the wait reads Brevo's event log and ends with upstream_blocked; with it on (the default) the
//   product takes the recipient off the list before sending (DELETE /v3/smtp/blockedContacts/…) and
//   the message arrives;
// - the `upstream` stage: Brevo's log shows the delivery (our MX answered 250) while the mailbox has
//   not seen the message yet — staged by the lab's Postfix holding mail of probes named hold-* until
//   this test releases it, after the run has read the log. The stage is then > 0 and ≤ mx.
// The blocked run and the held run wait for Brevo's first log read (10 s) side by side.
import assert from "node:assert/strict";
import { test } from "node:test";
import { labConfig, runCli, sleep, waitUntil } from "../helpers/cli.js";
import { fakeBrevo, heldMessages, releaseHeld } from "../helpers/lab.js";
import { brevo } from "../lab/topology.js";

const BLOCKED = "probe@lab.test";
const unblockPath = `/v3/smtp/blockedContacts/${encodeURIComponent(BLOCKED)}`;

const lab = (path: string, init?: RequestInit) => fakeBrevo(path, init).then((r) => r.json() as Promise<any>);
const block = (email: string) => lab("/__lab/block", { method: "POST", body: JSON.stringify({ email }) });
const requests = () => lab("/__lab/requests") as Promise<{ method: string; path: string; at: number }[]>;
const eventReads = async () => (await requests()).filter((r) => r.method === "GET" && r.path === "/v3/smtp/statistics/events").length;

/** The lab's probe, alone: no sinks, no relay check; `mutate` changes the rest. */
function config(name: string, mutate: (p: any) => void = () => undefined): string {
  return labConfig((c) => {
    delete c.pushgateway;
    const p = c.probes[0];
    p.name = name;
    delete p.kuma;
    delete p.relayCheck;
    for (const x of p.paths) delete x.kuma;
    mutate(p);
  });
}

/** A recipient on the blocklist with unblockRecipient off: Brevo's log says blocked, the wait ends on it. */
async function blockedRun() {
  await block(BLOCKED);
  const res = await runCli(
    [
      "run",
      "--json",
      "--config",
      config("upstream_blocked", (p) => {
        p.to = BLOCKED;
        p.timeoutSeconds = 60;
        p.sender.unblockRecipient = false;
      }),
    ],
    { timeoutMs: 90_000 },
  );
  assert.equal(res.code, 1, res.stderr);
  const r = res.json.probes[0];
  assert.equal(r.diagnosis?.code, "upstream_blocked", JSON.stringify(r));
  assert.equal(r.diagnosis.during, "wait", "read from Brevo's log while waiting, not by cleanup");
  assert.match(r.diagnosis.detail, /blocked/);
  for (const p of r.paths) assert.equal(p.reason, "not_delivered", JSON.stringify(p));
  assert.ok(r.durationSeconds < 30, `the blocked event ends the wait before the 60 s deadline (took ${r.durationSeconds} s)`);
  assert.ok(!(await requests()).some((q) => q.method === "DELETE" && q.path === unblockPath), "unblockRecipient: false never touches the blocklist");
}

/** Held in our MX's queue after Brevo logged the delivery; released once the run has read the log. */
async function heldRun() {
  const done = runCli(["run", "--json", "--config", config("hold-upstream", (p) => (p.timeoutSeconds = 60))], { timeoutMs: 90_000 });
  await waitUntil("the probe message held in Postfix's queue", async () => ((await heldMessages()).length ? true : undefined), 45_000);
  // Both runs read Brevo's log once, 10 s after their send (BREVO_EVENT_POLL.firstMs): wait for both reads.
  await waitUntil("the runs' first read of Brevo's event log", async () => ((await eventReads()) >= 2 ? true : undefined), 45_000);
  const delivered = ((await lab("/__lab/events")) as { event: string; subject: string }[]).filter((e) => e.subject.includes("hold-upstream"));
  assert.ok(
    delivered.some((e) => e.event === "delivered"),
    `Brevo's log shows the delivery before the mailbox can: ${JSON.stringify(delivered)}`,
  );
  await sleep(300);
  await releaseHeld();
  const res = await done;
  assert.equal(res.code, 0, res.stdout + res.stderr);
  const r = res.json.probes[0];
  for (const p of r.paths) {
    const s = p.stages;
    assert.ok(s && typeof s.upstream === "number", `upstream stage measured: ${JSON.stringify(p)}`);
    assert.ok(s.upstream > 0, `upstream > 0: ${JSON.stringify(s)}`);
    assert.ok(s.upstream <= s.mx, `upstream (accepted → Brevo delivered) ≤ mx (held in our MX): ${JSON.stringify(s)}`);
    assert.ok(s.mx >= 9, `the message sat in our MX's queue through the log read: ${JSON.stringify(s)}`);
  }
}

test("Brevo's blocklist and its log: a blocked recipient's verdict, and the upstream stage of a held delivery", { timeout: 150_000 }, async () => {
  await lab("/__lab/reset", { method: "POST" });
  // A message held by an earlier, failed run of this file would be delivered into this one.
  if ((await heldMessages()).length) await releaseHeld();
  await Promise.all([blockedRun(), heldRun()]);
});

test("unblockRecipient (the default): the recipient is taken off Brevo's blocklist before sending, and the message arrives", { timeout: 60_000 }, async () => {
  await block(BLOCKED);
  const res = await runCli(["run", "--json", "--config", config("upstream_unblock", (p) => (p.to = BLOCKED))], { timeoutMs: 60_000 });
  assert.equal(res.code, 0, res.stdout + res.stderr);
  const r = res.json.probes[0];
  assert.match(r.send.notes.join(" "), /was on Brevo's blocklist .*removed it before sending/);
  assert.ok((await requests()).some((q) => q.method === "DELETE" && q.path === unblockPath));
  const list = await fakeBrevo("/v3/smtp/blockedContacts", { headers: { "api-key": brevo.apiKey } }).then((x) => x.json() as Promise<any>);
  assert.deepEqual(
    list.contacts.map((c: { email: string }) => c.email),
    [],
  );
});
