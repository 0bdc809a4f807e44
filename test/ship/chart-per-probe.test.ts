// cronjob.perProbe: one CronJob per configured probe, rendered by the real helm with 50 probes (long
// names, names with "_", names that differ only in "_" and "-"): names a Job can carry (≤ 52) and
// unique, minutes staggered, each deadline from its own probe's bounds, `run --probe <name>`, its own
// config (this probe only) and only its own Secret keys. Checked against the Kubernetes schemas; and
// one probe's CronJob, materialised as the kubelet would mount it (its config key, only its Secret
// keys), runs its probe against the lab with the CLI.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parse, stringify } from "yaml";
import { CronJob } from "kubernetes-models/batch/v1/CronJob";
import { repoRoot, runCli } from "../helpers/cli.js";
import { byKind, chartDir, helmBin, renderValues } from "../helpers/helm.js";
import { relocateLabText } from "../lab/topology.js";

const secretDir = "/run/secrets/mailprobe";

/** Probe i: its name, timeout and (every third one) a Kuma monitor with its own timeout. */
function probe(i: number, name: string): any {
  const p: any = {
    name,
    timeoutSeconds: 60 + i * 7,
    sender: { type: "brevo", apiKeyFile: `${secretDir}/brevo-${i}`, from: "probe@example.com" },
    to: "probe@example.com",
    imap: { user: "probe@example.com", passwordFile: `${secretDir}/imap-${i}` },
    paths: [{ name: "external", host: "mail.example.com", port: 993 }],
    received: { mxHosts: ["mail.example.com"] },
  };
  if (i % 3 === 0) p.paths[0].kuma = { pushUrlFile: `${secretDir}/kuma-${i}`, timeoutSeconds: i % 6 === 0 ? 3 : 12 };
  return p;
}

function names(): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < 50; i++) {
    if (i === 0) out.push("a_b", "a-b");
    else if (i === 1) out.push("x".repeat(63), `${"x".repeat(62)}y`);
    else if (i === 2) out.push("trailing-", "under_score_name");
    else out.push(`domain${i}`);
  }
  return out;
}

const fifty = names().map((n, i) => probe(i, n));
const values = (extra: object = {}) => ({
  cronjob: { perProbe: true },
  secrets: { existingSecret: "mail-secrets" },
  config: { pushgateway: { url: "http://pg.monitoring:9091", timeoutSeconds: 8 }, probes: fifty },
  ...extra,
});

test("50 probes: 50 CronJobs with unique names of at most 52 characters, each running its own probe", () => {
  const objs = renderValues(values());
  const cjs = byKind(objs, "CronJob");
  assert.equal(cjs.length, 50);
  const cm = byKind(objs, "ConfigMap")[0];
  const seen = new Set<string>();
  cjs.forEach((cj, i) => {
    new CronJob(cj).validate();
    const p = fifty[i];
    const name: string = cj.metadata.name;
    assert.ok(name.length <= 52, `${name}: ${name.length} > 52 (a Job adds 11)`);
    assert.match(name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, name);
    assert.ok(!seen.has(name), `duplicate ${name}`);
    seen.add(name);
    if (/^[a-z0-9-]+[a-z0-9]$/.test(p.name) && `mp-mailprobe-${p.name}`.length <= 52) assert.equal(name, `mp-mailprobe-${p.name}`);
    else assert.match(name, /^mp-mailprobe-[-a-z0-9]*-[0-9a-f]{8}$/, `${p.name} → ${name}: cut, with a hash suffix`);

    assert.equal(cj.metadata.labels["mailprobe/probe"], p.name);
    const pod = cj.spec.jobTemplate.spec.template.spec;
    const c = pod.containers[0];
    assert.deepEqual(c.args, ["run", "--config", "/etc/mailprobe/config.yaml", "--probe", p.name]);

    // Its own deadline: its timeout + cleanup 10 + the slowest of its sinks (Pushgateway 8, its Kuma) + 30.
    const kuma = p.paths[0].kuma?.timeoutSeconds ?? 0;
    assert.equal(cj.spec.jobTemplate.spec.activeDeadlineSeconds, p.timeoutSeconds + 10 + Math.max(8, kuma) + 30, p.name);
    assert.equal(cj.spec.successfulJobsHistoryLimit, 3);
    assert.equal(cj.spec.concurrencyPolicy, "Forbid");

    // Its own config (this probe only) from its own ConfigMap key, and only its own Secret keys.
    const mount = c.volumeMounts.find((m: any) => m.name === "config");
    assert.equal(mount.mountPath, "/etc/mailprobe/config.yaml");
    const own = parse(cm.data[mount.subPath]);
    assert.deepEqual(
      own.probes.map((x: any) => x.name),
      [p.name],
    );
    assert.equal(own.pushgateway.url, "http://pg.monitoring:9091");
    const idx = fifty.indexOf(p);
    const want = [`brevo-${idx}`, `imap-${idx}`, ...(p.paths[0].kuma ? [`kuma-${idx}`] : []), "token-key"].sort();
    const secret = pod.volumes.find((v: any) => v.name === "secrets").secret;
    assert.equal(secret.secretName, "mail-secrets");
    assert.deepEqual(
      secret.items.map((x: any) => x.key),
      want,
      p.name,
    );
    assert.equal(secret.optional, true, "a missing key is left out, so mailprobe names the unreadable file");
  });
  // The whole config stays for helm test (validate, doctor over every probe).
  assert.equal(parse(cm.data["config.yaml"]).probes.length, 50);
});

test("schedules: */20 staggers the minute by the probe's index mod 20; a single minute moves on by the index", () => {
  const minutes = (field: string): number[] => {
    const m = /^(\d+)-59\/(\d+)$/.exec(field);
    assert.ok(m, field);
    const out: number[] = [];
    for (let x = Number(m[1]); x <= 59; x += Number(m[2])) out.push(x);
    return out;
  };
  const cjs = byKind(renderValues(values()), "CronJob");
  cjs.forEach((cj, i) => {
    const [minute, ...rest] = cj.spec.schedule.split(" ");
    assert.deepEqual(rest, ["*", "*", "*", "*"]);
    const o = i % 20;
    assert.deepEqual(minutes(minute), [o, o + 20, o + 40], cj.metadata.name);
  });
  // No minute holds more than ceil(50 / 20) = 3 starts.
  const starts = new Map<string, number>();
  for (const cj of cjs) starts.set(cj.spec.schedule, (starts.get(cj.spec.schedule) ?? 0) + 1);
  assert.equal(starts.size, 20);
  assert.ok(Math.max(...starts.values()) <= 3);

  const hourly = byKind(renderValues(values({ cronjob: { perProbe: true, schedule: "55 */2 * * *" } })), "CronJob");
  assert.deepEqual(
    hourly.slice(0, 7).map((cj) => cj.spec.schedule),
    ["55 */2 * * *", "56 */2 * * *", "57 */2 * * *", "58 */2 * * *", "59 */2 * * *", "0 */2 * * *", "1 */2 * * *"],
  );
  // Every minute cannot be staggered: it stays.
  const everyMinute = byKind(renderValues(values({ cronjob: { perProbe: true, schedule: "* * * * *" } })), "CronJob");
  assert.deepEqual(new Set(everyMinute.map((cj) => cj.spec.schedule)), new Set(["* * * * *"]));
});

test("cronjob.activeDeadlineSeconds, when set, is every CronJob's; perProbe off renders the one CronJob over all probes", () => {
  const fixed = byKind(renderValues(values({ cronjob: { perProbe: true, activeDeadlineSeconds: 900 } })), "CronJob");
  assert.deepEqual(new Set(fixed.map((cj) => cj.spec.jobTemplate.spec.activeDeadlineSeconds)), new Set([900]));

  const one = byKind(renderValues(values({ cronjob: { perProbe: false } })), "CronJob");
  assert.equal(one.length, 1);
  assert.equal(one[0].metadata.name, "mp-mailprobe");
  assert.equal(one[0].spec.schedule, "*/20 * * * *");
  assert.deepEqual(one[0].spec.jobTemplate.spec.template.spec.containers[0].args, ["run", "--config", "/etc/mailprobe/config.yaml"]);
  assert.equal(one[0].spec.jobTemplate.spec.template.spec.volumes.find((v: any) => v.name === "secrets").secret.items, undefined);
  // The longest probe: 60 + 49 × 7 = 403, + 10 + 12 (a Kuma's) + 30.
  assert.equal(one[0].spec.jobTemplate.spec.activeDeadlineSeconds, 403 + 10 + 12 + 30);
});

test("refused: a schedule whose minutes cannot be staggered, two probes of one name", () => {
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-perprobe-"));
  const refused = (v: object, why: RegExp) => {
    const f = join(dir, `v${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(f, stringify(v));
    const r = spawnSync(helmBin, ["template", "mp", chartDir, "-f", f], { encoding: "utf8" });
    assert.notEqual(r.status, 0, `rendered: ${JSON.stringify(v).slice(0, 200)}`);
    assert.match(r.stderr, why);
  };
  refused(
    values({ cronjob: { perProbe: true, schedule: "5,25,45 * * * *" } }),
    /cronjob\.perProbe staggers the minute field.*"5,25,45 \* \* \* \*" is neither/,
  );
  refused({ ...values(), config: { probes: [probe(1, "twin"), probe(2, "twin")] } }, /probes twin and twin get the same CronJob name mp-mailprobe-twin/);
});

test("one probe's CronJob, mounted as the kubelet would (its config, only its Secret keys), runs its probe against the lab", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-perprobe-lab-"));
  const secretsDir = join(dir, "secrets");
  const configDir = join(dir, "etc");
  const lab = parse(relocateLabText(readFileSync(join(repoRoot, "examples", "lab.yaml"), "utf8")));
  const data: Record<string, string> = {};
  const probes = ["pp_one", "pp_two"].map((name) => {
    const p = structuredClone(lab.probes[0]);
    p.name = name;
    data[`brevo-${name}`] = "xkeysib-lab-0123456789abcdef-LABKEY";
    data[`imap-${name}`] = "lab-probe-imap-secret";
    p.sender.apiKeyFile = join(secretsDir, `brevo-${name}`);
    p.imap.passwordFile = join(secretsDir, `imap-${name}`);
    delete p.sender.apiKey;
    delete p.imap.password;
    delete p.kuma;
    for (const x of p.paths) delete x.kuma;
    return p;
  });
  const objs = renderValues({
    cronjob: { perProbe: true },
    configMountPath: configDir,
    tokenKey: { enabled: false },
    secrets: { create: true, mountPath: secretsDir, data },
    config: { ...lab, probes },
  });
  const cj = byKind(objs, "CronJob").find((c) => c.metadata.labels["mailprobe/probe"] === "pp_two");
  const pod = cj.spec.jobTemplate.spec.template.spec;
  const c = pod.containers[0];
  const cm = byKind(objs, "ConfigMap")[0];
  const configMount = c.volumeMounts.find((m: any) => m.name === "config");
  mkdirSync(configDir, { recursive: true });
  writeFileSync(configMount.mountPath, cm.data[configMount.subPath]);
  // Only the keys the CronJob projects: pp_one's secrets are not there.
  mkdirSync(secretsDir, { recursive: true });
  const items = pod.volumes.find((v: any) => v.name === "secrets").secret.items;
  assert.deepEqual(
    items.map((i: any) => i.key),
    ["brevo-pp_two", "imap-pp_two"],
  );
  for (const i of items) writeFileSync(join(secretsDir, i.path), byKind(objs, "Secret")[0].stringData[i.key]);

  const res = await runCli([...c.args, "--json"]);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  assert.deepEqual(
    res.json.probes.map((p: any) => p.probe),
    ["pp_two"],
  );
  assert.ok(res.json.probes[0].paths.every((p: any) => p.ok));
});
