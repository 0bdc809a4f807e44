// The echo matrix (issue 18, "no secret in any output"), through the shipped CLI: peers of ours
// (./echo-peers.ts) echo the credential they were given, in one encoding a peer can produce, at one
// stage of one protocol; every output is then searched for every secret of the config by the
// INDEPENDENT decoder of ./secret-forms.ts (it does not reuse src/redact.ts's list of forms): stdout
// (human and --json), the logs, the Kuma msg and the Pushgateway body that reached our recorders,
// serve's /probe answer, watch's lines. Defined once: test/promises/echo-every-stage.test.ts runs a
// slice (every stage, every encoding, every command once), test/long/echo-every-stage.test.ts all.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { mx, paths } from "../lab/topology.js";
import { cliPath, closedPort, servingAddress, sleep, waitUntil } from "../helpers/cli.js";
import { rng } from "../helpers/prng.js";
import { httpPeer, linePeer, type LineStage, type Peer } from "./echo-peers.js";
import { decodable, ECHOES } from "./secret-forms.js";

type SecretName = "imap" | "smtp" | "brevo" | "pushgateway" | "kuma" | "bearer" | "tokenKey";
type Secrets = Record<SecretName, string>;

const USER = { imap: "probe@echo.test", smtp: "probe@echo.test", pushgateway: "mailprobe", brevo: "", kuma: "", bearer: "", tokenKey: "" };

/** How a peer echoes what it was given: the secret alone, or the credential as the client sent it. */
export const ENCODINGS: Record<string, (secret: string, user: string) => string> = {
  raw: (s) => s,
  basic: (s, u) => Buffer.from(`${u}:${s}`).toString("base64"),
  saslPlain: (s, u) => Buffer.from(`\0${u}\0${s}`).toString("base64"),
  xoauth2: (s, u) => Buffer.from(`user=${u}\x01auth=Bearer ${s}\x01\x01`).toString("base64"),
  url: ECHOES.url!,
  form: ECHOES.form!,
  json: ECHOES.json!,
  qp: ECHOES.qp!,
  base64: ECHOES.base64!,
  hex: ECHOES.hex!,
};

interface Stage {
  /** The secret the peer at this stage was given. */
  secret: SecretName;
  line?: { proto: "imap" | "smtp"; stage: LineStage };
  http?: { sink: "brevo" | "pushgateway" | "kuma"; status: number };
}

export const STAGES: Record<string, Stage> = {
  "imap greeting": { secret: "imap", line: { proto: "imap", stage: "imap greeting" } },
  "imap login": { secret: "imap", line: { proto: "imap", stage: "imap login" } },
  "imap select": { secret: "imap", line: { proto: "imap", stage: "imap select" } },
  "smtp auth": { secret: "smtp", line: { proto: "smtp", stage: "smtp auth" } },
  "smtp rcpt": { secret: "smtp", line: { proto: "smtp", stage: "smtp rcpt" } },
  "brevo 401": { secret: "brevo", http: { sink: "brevo", status: 401 } },
  "brevo 502": { secret: "brevo", http: { sink: "brevo", status: 502 } },
  "pushgateway 401": { secret: "pushgateway", http: { sink: "pushgateway", status: 401 } },
  "pushgateway 500": { secret: "pushgateway", http: { sink: "pushgateway", status: 500 } },
  "kuma 404": { secret: "kuma", http: { sink: "kuma", status: 404 } },
  "kuma 500": { secret: "kuma", http: { sink: "kuma", status: 500 } },
};

export const COMMANDS = ["run --json", "run", "serve /probe", "watch"] as const;
export type Command = (typeof COMMANDS)[number];

export interface Cell {
  stage: string;
  encoding: string;
  command: Command;
}

/** watch reports to no sink (src/watch/session.ts): its cells are the sender's and the paths' stages. */
const applies = (stage: string, command: Command) => command !== "watch" || !STAGES[stage]!.http || STAGES[stage]!.http!.sink === "brevo";

export const ALL_CELLS: Cell[] = Object.keys(STAGES).flatMap((stage) =>
  Object.keys(ENCODINGS).flatMap((encoding) => COMMANDS.filter((c) => applies(stage, c)).map((command) => ({ stage, encoding, command }))),
);

/** Every stage once, every encoding once, every command once (in turn). */
export function slice(): Cell[] {
  const encodings = Object.keys(ENCODINGS);
  return Object.keys(STAGES).map((stage, i) => {
    const command = COMMANDS[i % COMMANDS.length]!;
    return { stage, encoding: encodings[i % encodings.length]!, command: applies(stage, command) ? command : "run --json" };
  });
}

const AWKWARD = ['"', "\\", "%", "+", "/", "=", " ", ":", "@", "ö", "✓", "🙂"];

/** A secret of 12–60 characters with `"`, `\`, `%` and unicode (ASCII only where it goes in an HTTP header). */
function secret(r: () => number, ascii: boolean): string {
  const pool = ascii ? AWKWARD.filter((c) => c.charCodeAt(0) < 128 && c !== " ") : AWKWARD;
  const n = 12 + Math.floor(r() * 49);
  let s = ascii ? '"\\%' : '"\\%✓';
  while (s.length < n) s += r() < 0.3 ? pool[Math.floor(r() * pool.length)] : String.fromCharCode(48 + Math.floor(r() * 75));
  return s;
}

export function secretsFor(seed: number): Secrets {
  const r = rng(seed);
  return {
    imap: secret(r, false),
    smtp: secret(r, false),
    brevo: `xkeysib-${secret(r, true)}`,
    pushgateway: secret(r, false),
    kuma: secret(r, false),
    bearer: `b-${secret(r, true)}`,
    tokenKey: `${secret(r, true)}0123456789abcdefghijklmnopqrstuvwxyz`,
  };
}

/** Generous: the bound is not what this matrix tests (the hostile matrix does), and start-up on a loaded 2-core machine takes seconds. */
const TIMEOUT_S = 15;

function config(s: Secrets, p: Record<"brevo" | "pushgateway" | "kuma", Peer> & { imap?: Peer; smtp?: Peer }, ports: { closed: number }): string {
  const url = (peer: Peer) => `http://127.0.0.1:${peer.port}`;
  const tls = { servername: mx.hostname, caFile: paths.caCert };
  const sender = p.smtp
    ? {
        type: "smtp",
        host: "127.0.0.1",
        port: p.smtp.port,
        security: "tls",
        ...tls,
        user: USER.smtp,
        password: s.smtp,
        from: "probe@echo.test",
        timeoutSeconds: 14,
      }
    : { type: "brevo", apiKey: s.brevo, baseUrl: `${url(p.brevo)}/v3`, from: "probe@echo.test", timeoutSeconds: 14, diagnose: false };
  const cfg = {
    tokenKey: s.tokenKey,
    log: { level: "debug" },
    serve: {
      listen: "127.0.0.1",
      // 0: the kernel picks, serve logs it (servingAddress); a port found free beforehand can be taken.
      port: 0,
      runOnStart: false,
      schedule: "0 0 1 1 *",
      trigger: { enabled: true, bearerToken: s.bearer, minIntervalSeconds: 0 },
      // serve pushes only when told (serve.push): the Pushgateway stages need it.
      push: true,
    },
    pushgateway: { url: url(p.pushgateway), job: "mailprobe", timeoutSeconds: 5, basicAuth: { user: USER.pushgateway, password: s.pushgateway } },
    probes: [
      {
        name: "echo",
        timeoutSeconds: TIMEOUT_S,
        sender,
        to: "probe@echo.test",
        imap: { user: USER.imap, password: s.imap, security: "tls", ...tls, connectTimeoutSeconds: 10 },
        // Where IMAP is not the stage, a closed port (refused at once): the run ends after the send.
        paths: [{ name: "echo", host: "127.0.0.1", port: p.imap?.port ?? ports.closed }],
        kuma: { pushUrl: `${url(p.kuma)}/api/push/${encodeURIComponent(s.kuma)}`, timeoutSeconds: 5 },
      },
    ],
  };
  const file = join(mkdtempSync(join(tmpdir(), "mailprobe-echo-")), "config.yaml");
  writeFileSync(file, stringify(cfg));
  return file;
}

/** Runs the CLI; resolves with its output when it exits (killed after `ms`). */
function cli(
  args: string[],
  ms: number,
  whileRunning?: (err: () => string, exitCode: () => number | null) => Promise<string>,
): Promise<{ code: number | null; out: string; err: string; extra: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let extra = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), ms);
    if (whileRunning)
      void whileRunning(
        () => err,
        () => child.exitCode,
      )
        .then((t) => (extra = t))
        .catch((e: Error) => (extra = `(${e.message})`))
        .finally(() => child.kill("SIGTERM"));
    child.on("close", (code) => (clearTimeout(timer), resolve({ code, out, err, extra })));
  });
}

/** serve (on port 0: the address it logs): wait until ready, trigger the probe, return /probe's answer. */
async function triggerOnce(bearer: string, err: () => string, exitCode: () => number | null): Promise<string> {
  const base = `http://${await servingAddress(err, exitCode)}`;
  await waitUntil("serve ready", async () => ((await fetch(`${base}/readyz`)).status === 200 ? true : undefined), 30_000);
  const res = await fetch(`${base}/probe/echo`, { method: "POST", headers: { authorization: `Bearer ${bearer}` } });
  return `${res.status} ${await res.text()}`;
}

export interface CellResult extends Cell {
  /** How often the peer echoed at its stage (0: the cell proves nothing). */
  echoed: number;
  /** Where a secret was found: "output: secret". */
  leaks: string[];
  /** Outputs that are not what they claim (--json not JSON, a log line not JSON). */
  broken: string[];
  /** The command's exit code and the start of its stderr (to tell a cell that never reached its stage). */
  exit: number | null;
  stderr: string;
}

/** One cell: the peers, the command, every output searched for every secret. */
export async function runCell(cell: Cell, seed: number): Promise<CellResult> {
  const st = STAGES[cell.stage]!;
  const s = secretsFor(seed);
  const echo = ENCODINGS[cell.encoding]!(s[st.secret], USER[st.secret]);
  const echoAt = (sink: string) => (st.http?.sink === sink ? { status: st.http.status, text: echo } : undefined);
  const peers = {
    imap: st.line?.proto === "imap" ? await linePeer("imap", st.line.stage, echo) : undefined,
    smtp: st.line?.proto === "smtp" ? await linePeer("smtp", st.line.stage, echo) : undefined,
    brevo: await httpPeer(echoAt("brevo")),
    pushgateway: await httpPeer(echoAt("pushgateway")),
    kuma: await httpPeer(echoAt("kuma")),
  };
  try {
    const file = config(s, peers, { closed: await closedPort() });
    const res =
      cell.command === "serve /probe"
        ? await cli(["serve", "--config", file], 60_000, (err, exitCode) => triggerOnce(s.bearer, err, exitCode))
        : cell.command === "watch"
          ? await cli(["watch", "--config", file, "--count", "1", "--every", "60s"], 60_000)
          : await cli(["run", "--config", file, ...(cell.command === "run --json" ? ["--json"] : [])], 60_000);
    const kumaMsgs = peers.kuma.requests.map((r) => new URL(r.url, "http://x").searchParams.get("msg") ?? "").join("\n");
    const pgBodies = peers.pushgateway.requests.map((r) => r.body).join("\n");
    const outputs: Record<string, string> = { stdout: res.out, logs: res.err, "kuma msg": kumaMsgs, "pushgateway body": pgBodies, "/probe": res.extra };
    const leaks = Object.entries(outputs).flatMap(([where, text]) =>
      (Object.keys(s) as SecretName[]).filter((k) => decodable(text, s[k])).map((k) => `${where}: the ${k} secret`),
    );
    const broken: string[] = [];
    if (cell.command === "run --json" && !isJson(res.out)) broken.push("--json is not JSON");
    for (const line of res.err.split("\n").filter(Boolean)) if (line.startsWith("{") && !isJson(line)) broken.push(`log line not JSON: ${line.slice(0, 80)}`);
    const stagePeer = st.line ? (st.line.proto === "imap" ? peers.imap! : peers.smtp!) : peers[st.http!.sink];
    // serve's trigger failing (it never served, /probe not answered) says why its cell proved nothing.
    const trigger = res.extra.startsWith("(") ? `trigger: ${res.extra.slice(0, 700)}; ` : "";
    return { ...cell, echoed: stagePeer.echoed, leaks, broken, exit: res.code, stderr: trigger + res.err.slice(0, 3000) };
  } finally {
    await Promise.all(Object.values(peers).map((p) => p?.close()));
  }
}

const isJson = (t: string) => {
  try {
    JSON.parse(t);
    return true;
  } catch {
    return false;
  }
};

/** Runs cells `parallel` at a time. */
export async function runCells(cells: Cell[], parallel: number, seed0 = 1): Promise<CellResult[]> {
  const out: CellResult[] = new Array(cells.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      for (let i = next++; i < cells.length; i = next++) out[i] = await runCell(cells[i]!, seed0 + i);
    }),
  );
  await sleep(0);
  return out;
}

export function printCells(rows: CellResult[]): string {
  return rows
    .map(
      (r) =>
        `${r.stage.padEnd(16)} ${r.encoding.padEnd(9)} ${r.command.padEnd(12)} echoed ${r.echoed}  ${r.leaks.length || r.broken.length ? [...r.leaks, ...r.broken].join("; ") : "clean"}${r.echoed ? "" : ` (exit ${r.exit}: ${r.stderr})`}`,
    )
    .join("\n");
}
