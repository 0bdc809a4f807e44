// A third sender and a third sink that ship nowhere in src/: registered through the public
// registries at run time, then the CLI's own main() runs in this process (the shipped bundle is a
// child process and could not see these registrations). The sender really delivers into the lab:
// SMTP from Brevo's relay address to the stock Postfix listener, so the run is healthy for real.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, test } from "node:test";
import * as z from "zod";
import { builtins, fields, loadConfig, main, registerSender, registerSink, type ProbeResult, type SenderModule } from "../../src/index.js";
import { labConfig } from "../helpers/cli.js";
import { smtpSend } from "../helpers/lab.js";
import { addr, port } from "../lab/topology.js";

builtins();

const RelaySchema = z
  .object({
    type: z.literal("labrelay"),
    port: z.number().int().min(1).max(65535),
    from: fields.email,
  })
  .strict();
type RelayConfig = z.infer<typeof RelaySchema>;

const sent: string[] = [];
const relay: SenderModule<RelayConfig> = {
  type: "labrelay",
  displayName: "lab relay",
  schema: RelaySchema,
  resolve: (parsed) => parsed as RelayConfig,
  secrets: () => [],
  doctor: { check: "labrelay reachable", hints: { default: "the lab's SMTP listener does not answer" } },
  create: async (cfg) => ({
    async send(msg) {
      await smtpSend({ port: cfg.port, from: msg.from, to: msg.to, subject: msg.subject, headers: msg.headers });
      sent.push(msg.subject);
      return { ok: true, attempts: 1, notes: [] };
    },
    verify: () =>
      new Promise((resolve) => {
        const s = connect({ host: addr.listen, port: cfg.port }, () => (s.destroy(), resolve({ ok: true, detail: `${addr.listen}:${cfg.port} answers` })));
        s.once("error", (e) => resolve({ ok: false, detail: e.message, reason: "send_failed" }));
      }),
    close() {},
  }),
};

const published: ProbeResult[] = [];
// Removed again when the file's tests are done: the registries outlive a test file in one process.
after(registerSender(relay));
after(
  registerSink({
    name: "memory",
    open: async () => ({
      publish: async (_probe, r) => {
        published.push(r);
        return [{ sink: "memory", target: r.probe, ok: true, ms: 0 }];
      },
    }),
  }),
);

const relaySender = { type: "labrelay", port: port.smtpStock, from: "probe@sender.lab.test" };
const config = (name: string, mutate: (p: any) => void) =>
  labConfig((c) => {
    c.probes[0].name = name;
    mutate(c.probes[0]);
  });

async function cli(args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await main(args, { env: { ...process.env, NO_COLOR: "1" }, isTTY: false, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

test("config validation knows the registered sender: accepts it, and names a bad field of it", async () => {
  const ok = loadConfig(config("plug_ok", (p) => (p.sender = relaySender)));
  assert.equal(ok.probes[0]!.sender.type, "labrelay");

  const bad = await cli(["run", "--json", "--config", config("plug_bad", (p) => (p.sender = { ...relaySender, port: "twenty-five" }))]);
  assert.equal(bad.code, 2, bad.stderr);
  assert.ok(
    JSON.parse(bad.stdout).issues.some((i: any) => i.field === "probes[0].sender.port"),
    bad.stdout,
  );
  const unknown = await cli(["run", "--json", "--config", config("plug_unknown", (p) => (p.sender = { ...relaySender, hots: "x" }))]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /probes\[0\]\.sender: unknown field "hots"/);
  const type = await cli(["run", "--config", config("plug_type", (p) => (p.sender = { ...relaySender, type: "carrier-pigeon" }))]);
  // zod names the registered types; the example is built from the registry too.
  assert.match(type.stderr, /probes\[0\]\.sender\.type: .*'labrelay'.*\(e\.g\. type: "brevo", "smtp" or "labrelay"\)/);
});

test("run sends through the registered sender into the lab, healthy, and the result reaches the registered sink", async () => {
  const before = sent.length;
  const res = await cli(["run", "--json", "--config", config("plug_run", (p) => (p.sender = relaySender))]);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  const r = JSON.parse(res.stdout).probes[0];
  assert.equal(r.send.type, "labrelay");
  assert.ok(
    r.paths.every((p: any) => p.ok && p.ip.ok && p.ip.match.list === "expectedCidrs"),
    JSON.stringify(r.paths),
  );
  assert.equal(sent.length, before + 1);
  assert.ok(r.sinks.some((s: any) => s.sink === "memory" && s.ok));
  const got = published.find((p) => p.token === r.token);
  assert.ok(got?.ok, "the memory sink got this run's result");
});

test("doctor runs the registered sender's check", async () => {
  const res = await cli(["doctor", "--json", "--config", config("plug_doc", (p) => (p.sender = relaySender))]);
  const check = JSON.parse(res.stdout).checks.find((c: any) => c.scope === "plug_doc/sender");
  assert.equal(check.check, "labrelay reachable");
  assert.equal(check.status, "ok", JSON.stringify(check));
});

test("watch --via accepts the registered sender as a probe's watchSender route", async () => {
  const before = sent.length;
  const res = await cli([
    "watch",
    "--config",
    config("plug_watch", (p) => (p.watchSender = relaySender)),
    "--via",
    "labrelay",
    "--every",
    "1s",
    "--count",
    "1",
  ]);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  const cycle = res.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))
    .find((e) => e.event === "cycle");
  assert.equal(cycle.send.type, "labrelay");
  assert.ok(cycle.ok, JSON.stringify(cycle));
  assert.equal(sent.length, before + 1);
});
