// The hostile-peer matrix (issue 18): every stage of every protocol mailprobe speaks × every
// misbehaviour of test/promises/hostile.ts, run through the shipped CLI (`run`, `doctor`, `serve`
// + SIGTERM). Each case must end by its documented bound, with the process's peak RSS under the
// chart's memory limit. Defined once: test/promises/hostile.test.ts runs a slice (every behaviour
// once, every protocol once), test/long/hostile-matrix.test.ts all of it.
import { readFileSync } from "node:fs";
import { addr, mx, paths, port as labPort } from "../lab/topology.js";
import { closedPort, labConfig, runCli, servingAddress, sleep, startCli } from "../helpers/cli.js";
import { BEHAVIOURS, hostile, type Behaviour, type Hostile, type Protocol } from "./hostile.js";

/** The chart's memory limit (chart/values.yaml resources.limits.memory: 256Mi). */
export const RSS_LIMIT_BYTES = 256 * 1024 * 1024;
/**
 * What the tests allow on top of a bound for process start-up on a loaded 2-core machine (measured
 * with a load average of 20–22: start-up alone took up to 10 s). The faults this catches cost 30–90 s
 * (a relay connect held for its own 60 s, a send held for its 30 s).
 */
export const SLACK_MS = 12_000;
const TIMEOUT_S = 3;
const SINK_S = 1;
const CLEANUP_BUDGET_MS = 10_000;
/** Doctor's group deadline in these cases (MAILPROBE_DOCTOR_CHECK_MS; the product's is 30 s): the bound is the mechanism under test, not its length. */
const DOCTOR_CHECK_MS = 8_000;
const GRACE_S = 5;

export type Command = "run" | "doctor" | "serve";

export interface Stage {
  proto: Protocol;
  tls: boolean;
  /** Command words whose answer misbehaves ("greeting": the banner). */
  at: string;
  /** Points the config's part at the hostile server. */
  apply(cfg: any, port: number): void;
}

const url = (p: number) => `http://${addr.listen}:${p}`;

export const STAGES: Record<string, Stage> = {
  "imap greeting": { proto: "imap", tls: true, at: "greeting", apply: (c, p) => (c.probes[0].paths = [{ name: "hostile", host: addr.listen, port: p }]) },
  "imap auth": { proto: "imap", tls: true, at: "AUTHENTICATE LOGIN", apply: (c, p) => (c.probes[0].paths = [{ name: "hostile", host: addr.listen, port: p }]) },
  "imap select": { proto: "imap", tls: true, at: "SELECT EXAMINE", apply: (c, p) => (c.probes[0].paths = [{ name: "hostile", host: addr.listen, port: p }]) },
  "smtp sender greeting": { proto: "smtp", tls: true, at: "greeting", apply: (c, p) => (c.probes[0].sender = smtpSender(p)) },
  "smtp sender rcpt": { proto: "smtp", tls: true, at: "RCPT", apply: (c, p) => (c.probes[0].sender = smtpSender(p)) },
  "relay greeting": { proto: "smtp", tls: false, at: "greeting", apply: (c, p) => (c.probes[0].relayCheck = [relayEntry(p)]) },
  "relay rcpt": { proto: "smtp", tls: false, at: "RCPT", apply: (c, p) => (c.probes[0].relayCheck = [relayEntry(p)]) },
  brevo: { proto: "http", tls: false, at: "request", apply: (c, p) => (c.probes[0].sender.baseUrl = `${url(p)}/v3`) },
  pushgateway: { proto: "http", tls: false, at: "request", apply: (c, p) => (c.pushgateway = { url: url(p), job: "mailprobe", timeoutSeconds: SINK_S }) },
  kuma: {
    proto: "http",
    tls: false,
    at: "request",
    apply: (c, p) => (c.probes[0].kuma = { pushUrl: `${url(p)}/api/push/hostile-push-token`, timeoutSeconds: SINK_S }),
  },
  tidy: {
    proto: "http",
    tls: false,
    at: "request",
    apply: (c, p) => (c.pushgateway = { url: url(p), job: "mailprobe", deployment: "hostile", timeoutSeconds: SINK_S }),
  },
};

function smtpSender(p: number) {
  return {
    type: "smtp",
    host: addr.listen,
    port: p,
    security: "tls",
    servername: mx.hostname,
    caFile: paths.caCert,
    from: "probe@sender.lab.test",
    timeoutSeconds: 30,
  };
}

/** A relay entry whose own timeout (60 s) is far longer than the run's: the run's deadline must bound it (case 4). */
function relayEntry(p: number) {
  return { name: "hostile", host: addr.listen, port: p, security: "none", timeoutSeconds: 60 };
}

export interface Case {
  stage: string;
  behaviour: Behaviour;
  command: Command;
}

export interface Outcome extends Case {
  ms: number;
  boundMs: number;
  peakRssBytes: number;
  exit: number | null;
  /** serve only: what /healthz answered while the cycle was held. */
  healthz?: string;
  detail: string;
}

export const ALL_CASES: Case[] = Object.keys(STAGES).flatMap((stage) =>
  BEHAVIOURS.flatMap((behaviour) => (["run", "doctor", "serve"] as const).map((command) => ({ stage, behaviour, command }))),
);

function baseConfig(closedPort: number, mutate: (c: any) => void): string {
  return labConfig((c) => {
    c.probes[0].name = "hostile";
    c.probes[0].timeoutSeconds = TIMEOUT_S;
    c.pushgateway = { url: `http://${addr.listen}:${labPort.pushgateway}`, job: "mailprobe", timeoutSeconds: SINK_S };
    // A path to a closed port (refused at once): the case measures the hostile stage, not the lab's IMAP under load.
    c.probes[0].paths = [{ name: "refused", host: addr.listen, port: closedPort }];
    delete c.probes[0].kuma;
    delete c.probes[0].relayCheck;
    mutate(c);
  });
}

/** Peak RSS (VmHWM) of a live process, read from /proc; 0 once it is gone. */
function peakRss(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function watchRss(pid: number): { stop: () => number } {
  let peak = 0;
  const t = setInterval(() => (peak = Math.max(peak, peakRss(pid))), 100);
  return { stop: () => (clearInterval(t), Math.max(peak, peakRss(pid))) };
}

/** Runs one case against a fresh hostile server. */
export async function runCase(k: Case): Promise<Outcome> {
  const st = STAGES[k.stage]!;
  const server: Hostile = await hostile(st.proto, k.behaviour, st.at, st.tls);
  try {
    const cfg = baseConfig(await closedPort(), (c) => {
      st.apply(c, server.port);
      // push: serve pushes (and tidies) only when told to; the pushgateway and tidy stages need it.
      if (k.command === "serve") c.serve = { listen: addr.listen, port: 0, runOnStart: true, shutdownGraceSeconds: GRACE_S, push: true };
    });
    if (k.command === "serve") return await serveCase(k, cfg);
    let rss = { stop: () => 0 };
    const env = { MAILPROBE_DOCTOR_CHECK_MS: String(DOCTOR_CHECK_MS) };
    const res = await runCli([k.command, "--config", cfg, "--json"], { timeoutMs: 120_000, env, onSpawn: (pid) => (rss = watchRss(pid)) });
    const boundMs = k.command === "run" ? TIMEOUT_S * 1000 + CLEANUP_BUDGET_MS + SINK_S * 1000 + 1000 : DOCTOR_CHECK_MS;
    return { ...k, ms: res.ms, boundMs, peakRssBytes: rss.stop(), exit: res.code, detail: summary(res.json, res.stderr) };
  } finally {
    await server.close();
  }
}

async function serveCase(k: Case, cfg: string): Promise<Outcome> {
  const cli = startCli(["serve", "--config", cfg]);
  const rss = watchRss(cli.child.pid!);
  // Serving (the first cycle has started), then let it reach the hostile stage; then ask /healthz.
  // Port 0 (the address serve logs): a port found free beforehand can be taken before serve binds it.
  const listen = await servingAddress(cli.err, () => cli.child.exitCode).catch(() => undefined);
  await sleep(1500);
  const healthz = listen
    ? await fetch(`http://${listen}/healthz`, { signal: AbortSignal.timeout(3000) })
        .then(async (r) => `${r.status} ${(await r.text()).trim().slice(0, 60)}`)
        .catch((e: Error) => `no answer (${e.message})`)
    : "no answer (serve never served)";
  const t0 = Date.now();
  cli.child.kill("SIGTERM");
  const killer = setTimeout(() => cli.child.kill("SIGKILL"), 60_000);
  const { code } = await cli.exited;
  clearTimeout(killer);
  return {
    ...k,
    ms: Date.now() - t0,
    boundMs: GRACE_S * 1000,
    peakRssBytes: rss.stop(),
    exit: code,
    healthz,
    detail: cli.err().split("\n").filter(Boolean).slice(-1)[0]?.slice(0, 100) ?? "",
  };
}

function summary(json: any, stderr: string): string {
  const p = json?.probes?.[0];
  const tidy = /"detail":"([^"]*)","msg":"sink clean-up failed"/.exec(stderr);
  if (p)
    return [
      tidy ? `tidy: ${tidy[1]}` : "",
      p.reason,
      ...(p.paths ?? []).map((x: any) => x.reason),
      ...(p.sinks ?? []).filter((s: any) => !s.ok).map((s: any) => s.error),
    ]
      .filter(Boolean)
      .join("; ")
      .slice(0, 160);
  if (json?.checks)
    return (json.checks as any[])
      .filter((c) => c.status === "fail")
      .map((c) => `${c.check}: ${c.detail}`)
      .join("; ")
      .slice(0, 120);
  return stderr.trim().split("\n").slice(-1)[0]?.slice(0, 120) ?? "";
}

/** Runs cases `concurrency` at a time; results in the order given. */
export async function runMatrix(cases: Case[], concurrency: number): Promise<Outcome[]> {
  const out: Outcome[] = new Array(cases.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < cases.length) {
        const i = next++;
        out[i] = await runCase(cases[i]!);
      }
    }),
  );
  return out;
}

/** The matrix as a table, printed by the tests. */
export function printMatrix(rows: Outcome[]): string {
  const lines = rows.map((r) =>
    [
      r.stage.padEnd(21),
      r.behaviour.padEnd(9),
      r.command.padEnd(7),
      `${(r.ms / 1000).toFixed(1)} s`.padStart(7),
      `≤ ${r.boundMs / 1000} s`.padEnd(7),
      `${Math.round(r.peakRssBytes / 1048576)} MiB`.padStart(8),
      `exit ${r.exit}`,
      r.healthz ? `healthz ${r.healthz}` : "",
      r.detail,
    ].join("  "),
  );
  return ["stage                  behaviour  command  took     bound     peak RSS  exit    detail", ...lines].join("\n");
}

export const withinBound = (r: Outcome) => r.ms <= r.boundMs + SLACK_MS && r.peakRssBytes < RSS_LIMIT_BYTES && r.peakRssBytes > 0;
