// Runs the built CLI (dist/, as shipped) with the current Node binary.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { accounts, addr, brevo, mx, paths, relocateLabText } from "../lab/topology.js";

export const repoRoot = new URL("../../", import.meta.url).pathname;
/** The shipped entry point: the bundle (scripts/bundle.mjs). */
export const cliPath = join(repoRoot, "dist", "bundle", "mailprobe.js");

/** A --require preload that prints Node's own modules the process loaded (test/helpers/record-node-modules.cjs); read them with nodeModulesIn. */
export const recordNodeModules = join(repoRoot, "test", "helpers", "record-node-modules.cjs");

/** The modules the preload printed, and stderr without its line. */
export function nodeModulesIn(stderr: string): { loaded: string[]; rest: string } {
  const line = stderr.split("\n").find((l) => l.startsWith("LOADED "));
  return { loaded: line ? (JSON.parse(line.slice(7)) as string[]) : [], rest: stderr.replace(/^LOADED .*\n?/m, "") };
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  json: any;
  ms: number;
}

export function runCli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; onSpawn?: (pid: number) => void } = {}): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, NO_COLOR: "1", ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`mailprobe ${args.join(" ")} did not exit within ${opts.timeoutMs ?? 120_000} ms\n${stderr}`));
    }, opts.timeoutMs ?? 120_000);
    opts.onSpawn?.(child.pid!);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      resolve({ code, signal, stdout, stderr, json, ms: Date.now() - started });
    });
  });
}

/** The lab's example config, changed by `mutate`, written to a temp file. */
export function labConfig(mutate: (cfg: any) => void = () => undefined): string {
  const cfg = parse(relocateLabText(readFileSync(join(repoRoot, "examples", "lab.yaml"), "utf8")));
  mutate(cfg);
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-cfg-"));
  const file = join(dir, "config.yaml");
  writeFileSync(file, stringify(cfg));
  return file;
}

/** Starts a long-running CLI command (serve, watch); the caller stops it. */
export function startCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [cliPath, ...args], { env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("close", (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, out: () => stdout, err: () => stderr };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A loopback port nothing listened on a moment ago, for a path that is to be refused at once. Not
 * for a port we then listen on (see servingAddress): something may take it meanwhile; a path here
 * then fails another way, which the cases using it do not depend on.
 */
export async function closedPort(host = addr.listen): Promise<number> {
  const s = createServer().listen(0, host);
  await new Promise((r) => s.once("listening", r));
  const { port } = s.address() as { port: number };
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * serve's bound `host:port`, from its "serving" log line: configure `serve.port: 0` and read it here.
 * A port found free and closed again before serve binds it can be taken in between by any process
 * on the machine (a lab file running beside, an outgoing connection's local port): serve then exits
 * with EADDRINUSE and its case proves nothing. Rejects once the process exited without serving.
 */
export async function servingAddress(err: () => string, exitCode: () => number | null, timeoutMs = 60_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const line = err()
      .split("\n")
      .find((l) => l.includes('"msg":"serving"'));
    const listen = line ? /"listen":"([^"]+)"/.exec(line)?.[1] : undefined;
    if (listen) return listen;
    if (exitCode() !== null) throw new Error(`serve exited ${exitCode()} before serving: ${err().slice(-600)}`);
    if (Date.now() > end) throw new Error(`serve did not log "serving" within ${timeoutMs} ms: ${err().slice(-600)}`);
    await sleep(100);
  }
}

/** Polls `fn` every 200 ms until it returns something other than undefined. */
export async function waitUntil<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

/**
 * An SMTP sender block for a lab config: STARTTLS with the lab CA to `port`. With `login`, the
 * stock submission's SASL account (sending as it); without, the plain listener's Brevo-like sender.
 */
export function labSmtpSender(port: number, opts: { login?: boolean; extra?: Record<string, unknown> } = {}): Record<string, unknown> {
  return {
    type: "smtp",
    host: addr.listen,
    port,
    security: "starttls",
    servername: mx.hostname,
    caFile: paths.caCert,
    ...(opts.login ? { user: accounts.probe.user, password: accounts.probe.password, from: accounts.probe.user } : { from: brevo.sender }),
    ...opts.extra,
  };
}
