// values.schema.json with the real helm: the committed file is what scripts/values-schema.ts
// generates from the zod config schema today (no drift), and `helm lint`, `helm template` and
// `helm install --dry-run=client` refuse each kind of mistake, naming where it is.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse, stringify } from "yaml";
import { render as renderSchema, valuesSchemaPath } from "../../scripts/values-schema.js";
import { chartDir, helmBin } from "../helpers/helm.js";

const dir = mkdtempSync(join(tmpdir(), "mailprobe-values-schema-"));
const defaults = parse(readFileSync(join(chartDir, "values.yaml"), "utf8"));
let n = 0;

/** A values file: the chart's default config changed by `edit` (helm replaces lists, so edit a whole copy). */
function valuesFile(edit: (v: any) => void): string {
  const v = { config: structuredClone(defaults.config) };
  edit(v);
  const f = join(dir, `values-${n++}.yaml`);
  writeFileSync(f, stringify(v));
  return f;
}

function helmRun(args: string[]) {
  const r = spawnSync(helmBin, args, { encoding: "utf8" });
  return { code: r.status, out: r.stdout + r.stderr };
}

const commands = (f: string) => [
  ["lint", chartDir, "-f", f],
  ["template", "mp", chartDir, "-f", f],
  ["install", "mp", chartDir, "--dry-run=client", "-n", "mail", "-f", f],
];

function assertRefused(edit: (v: any) => void, where: RegExp) {
  const f = valuesFile(edit);
  for (const args of commands(f)) {
    const r = helmRun(args);
    assert.notEqual(r.code, 0, `helm ${args[0]} accepted ${readFileSync(f, "utf8")}`);
    assert.match(r.out, /values don't meet the specifications of the schema|schema/i, `helm ${args[0]}: ${r.out}`);
    assert.match(r.out, where, `helm ${args[0]} names the field: ${r.out}`);
  }
}

function assertAccepted(edit: (v: any) => void) {
  const f = valuesFile(edit);
  for (const args of commands(f)) {
    const r = helmRun(args);
    assert.equal(r.code, 0, `helm ${args[0]}: ${r.out}`);
  }
}

test("the committed values.schema.json is a fresh generation from the zod config schema", () => {
  assert.equal(readFileSync(valuesSchemaPath, "utf8"), renderSchema(), "run: node --import tsx scripts/values-schema.ts");
});

test("the default values pass the schema with helm lint, template and install --dry-run", () => {
  assertAccepted(() => {});
});

test("refused: a mode other than cronjob or serve", () => assertRefused((v) => (v.mode = "daemon"), /\/mode/));

test("refused: more than one serve replica", () => assertRefused((v) => ((v.mode = "serve"), (v.serve = { replicas: 2 })), /\/serve\/replicas/));

test("refused: wrong types of chart values (port as a string, a boolean as a string, an unknown key)", () => {
  assertRefused((v) => (v.serve = { port: "9465" }), /\/serve\/port/);
  assertRefused((v) => (v.prometheusRule = { enabled: "enabled" }), /\/prometheusRule\/enabled/);
  assertRefused((v) => (v.cronjob = { schedul: "*/5 * * * *" }), /schedul/);
  assertRefused((v) => (v.image = { digest: "latest" }), /\/image\/digest/);
});

test("refused: a config the probe would refuse (unknown field, wrong type, bad enum, missing field, bad name)", () => {
  assertRefused((v) => (v.config.probes[0].timeoutSecond = 60), /timeoutSecond/);
  assertRefused((v) => (v.config.probes[0].paths[0].port = "imaps"), /\/config\/probes\/0\/paths\/0\/port/);
  assertRefused((v) => (v.config.probes[0].paths[0].port = 70000), /\/config\/probes\/0\/paths\/0\/port/);
  assertRefused((v) => (v.config.probes[0].sender.type = "sendgrid"), /\/config\/probes\/0\/sender/);
  assertRefused((v) => (v.config.probes[0].imap.security = "ssl"), /\/config\/probes\/0\/imap\/security/);
  assertRefused((v) => delete v.config.probes[0].paths, /paths/);
  assertRefused((v) => (v.config.probes[0].name = "Inbound"), /\/config\/probes\/0\/name/);
  assertRefused((v) => (v.config.probes = []), /\/config\/probes/);
  assertRefused((v) => (v.config.probes[0].sender.diagnose = "off please"), /\/config\/probes\/0\/sender/);
});

test("refused: what the probe's own checks refuse, as patterns (cron, URL, CIDR, IP, an anchored ${…}, the reserved relayCheck name)", () => {
  assertRefused((v) => (v.cronjob = { schedule: "every 5 minutes" }), /\/cronjob\/schedule/);
  assertRefused((v) => (v.config.probes[0].schedule = "every 5 minutes"), /\/config\/probes\/0\/schedule/);
  assertRefused((v) => (v.config.pushgateway.url = "not a url"), /\/config\/pushgateway\/url/);
  assertRefused((v) => (v.config.probes[0].received.forbiddenCidrs = ["10.0.0.0/33"]), /\/config\/probes\/0\/received\/forbiddenCidrs\/0/);
  assertRefused((v) => (v.config.probes[0].paths[0].port = "abc${X}"), /\/config\/probes\/0\/paths\/0\/port/);
  const relay = (extra: object) => ({ name: "public-smtp", host: "192.0.2.25", port: 25, security: "starttls", ...extra });
  assertRefused((v) => (v.config.probes[0].relayCheck = [relay({ name: "sender" })]), /\/config\/probes\/0\/relayCheck\/0\/name/);
  assertRefused((v) => (v.config.probes[0].relayCheck = [relay({ proxyProtocol: { sourceAddress: "a.b.c.d" } })]), /sourceAddress/);
  // The same fields with good values (and ${VAR} where the probe interpolates one) pass.
  assertAccepted((v) => {
    v.cronjob = { schedule: "@hourly" };
    v.config.probes[0].schedule = "0 */5 * * * *";
    v.config.pushgateway.url = "${PUSHGATEWAY_URL:-http://pushgateway:9091}";
    v.config.probes[0].received.forbiddenCidrs = ["10.0.0.0/8", "fd00::/8", "${NODE_CIDR}"];
    v.config.probes[0].relayCheck = [relay({ proxyProtocol: { sourceAddress: "203.0.113.7" } }), relay({ name: "ipv6", host: "2001:db8::25" })];
  });
});

test("accepted: examples/homelab.yaml as the chart's config", () => {
  const homelab = parse(readFileSync(new URL("../../examples/homelab.yaml", import.meta.url), "utf8"));
  assertAccepted((v) => (v.config = homelab));
});

test("accepted: ${…} strings where a number or boolean comes from the environment", () => {
  assertAccepted((v) => {
    v.config.probes[0].paths[0].port = "${IMAP_PORT}";
    v.config.probes[0].timeoutSeconds = "${PROBE_TIMEOUT:-120}";
    v.config.probes[0].sender.diagnose = "${BREVO_DIAGNOSE}";
  });
});

test("refused: an inline secret in values.config (it would be written into the ConfigMap); a ${VAR} reference or the …File field passes", () => {
  assertRefused(
    (v) => ((v.config.probes[0].sender.apiKey = "xkeysib-0123456789abcdef"), delete v.config.probes[0].sender.apiKeyFile),
    /\/config\/probes\/0\/sender/,
  );
  assertRefused((v) => (v.config.probes[0].imap.password = "hunter2"), /\/config\/probes\/0\/imap\/password/);
  assertAccepted((v) => {
    v.config.probes[0].imap.password = "${IMAP_PASSWORD}";
    v.config.probes[0].kuma = { pushUrlFile: "/run/secrets/mailprobe/kuma-url" };
  });
});
