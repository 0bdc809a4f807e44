// Installing is scripts/bootstrap.sh's job (apt-get); this module only configures, starts and stops.
// The lab: private Postfix (with Rspamd as its milter), Dovecot (LMTP + Sieve), HAProxy, unbound (Rspamd's
// DNS), Pushgateway, Prometheus, a real Uptime Kuma (test/lab/kuma.ts) and the fake Brevo on loopback. Nothing system-wide is configured;
// every instance runs from files under LAB_DIR.
import { execFile, spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chownSync, chmodSync, openSync, closeSync } from "node:fs";
import { createSocket } from "node:dgram";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { LAB_DIR, accounts, addr, brevo, mx, paths, port, scaleAccounts } from "./topology.js";
import { startStores, stopStores, storeVars, writeStoreFiles } from "./imap-servers.js";
import { startKuma, stopKuma } from "./kuma.js";
import { STACKS, saFiles, saInstalled, saListeners, saTemplates, saVars, startSaStack, type FilterStack } from "./sa-stack.js";
import { MTAS, mtaListeners, mtaTarget, mtaVars, mtasInstalled, startExim, startOpensmtpd, stopMtas, type Mta } from "./mtas.js";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..");

/** nobody:nogroup owns the mail store (Dovecot refuses uid 0 for mail). */
const MAIL_UID = 65534;
const MAIL_GID = 65534;

/** Switchable faults of the external path. */
export interface LabState {
  /** ok: HAProxy sends PROXY v2 to the alt listeners; broken: no PROXY, straight to the stock ones. */
  proxy: "ok" | "broken";
  /** down: HAProxy's public IMAPS frontend is gone (connection refused). */
  extImaps: "up" | "down";
  /** How many extra public IMAPS frontends HAProxy opens (benchmarks with many paths). */
  extraImapsFrontends: number;
  /** The fake Brevo's DKIM signature: ok (the key in DNS), broken-body (body altered after signing), wrong-key (a key not in DNS). */
  dkim: "ok" | "broken-body" | "wrong-key";
  /** down: Rspamd is stopped; Postfix's milter_default_action (accept) then delivers unfiltered. */
  rspamd: "up" | "down";
  /** node-range: the SNAT address is in Postfix's mynetworks (it relays for it) and "local" to Rspamd (checks skipped). */
  trust: "none" | "node-range";
  /** Which MX HAProxy's public SMTP frontend leads to (test/lab/mtas.ts): all three run all the time. */
  mta: Mta;
  /** The filter stack behind Postfix: Rspamd as milter, or SpamAssassin/OpenDKIM/OpenDMARC/policyd-spf (test/lab/sa-stack.ts). */
  stack: FilterStack;
  /** What the fake Brevo's relay forges (read at each delivery): its HELO as Brevo's address literal, or a Postfix-style Received naming our MX. */
  forge: "none" | "helo-literal" | "received";
}

export const DEFAULT_STATE: Readonly<LabState> = {
  proxy: "ok",
  extImaps: "up",
  extraImapsFrontends: 0,
  dkim: "ok",
  rspamd: "up",
  trust: "none",
  mta: "postfix",
  stack: "rspamd",
  forge: "none",
};

/** The values each switch takes (numbers for extraImapsFrontends): `set` refuses anything else. */
const SWITCHES: { [K in keyof LabState]: readonly string[] | "number" } = {
  proxy: ["ok", "broken"],
  extImaps: ["up", "down"],
  extraImapsFrontends: "number",
  dkim: ["ok", "broken-body", "wrong-key"],
  rspamd: ["up", "down"],
  trust: ["none", "node-range"],
  mta: MTAS,
  stack: STACKS,
  forge: ["none", "helo-literal", "received"],
};

function checkChange(change: Partial<LabState>): void {
  for (const [k, v] of Object.entries(change)) {
    const allowed = SWITCHES[k as keyof LabState];
    if (allowed === undefined) throw new Error(`lab set: unknown switch ${k} (known: ${Object.keys(SWITCHES).join(", ")})`);
    if (allowed === "number" ? !Number.isInteger(v) : !allowed.includes(String(v))) {
      throw new Error(`lab set: ${k}=${String(v)} is not one of ${allowed === "number" ? "an integer" : allowed.join("|")}`);
    }
  }
}

/** Rspamd's user (Debian's package): its state, pid and log directories belong to it. */
const RSPAMD_USER = "_rspamd";
const UNBOUND_USER = "unbound";

export function readState(): LabState {
  if (!existsSync(paths.state)) return { ...DEFAULT_STATE };
  return { ...DEFAULT_STATE, ...(JSON.parse(readFileSync(paths.state, "utf8")) as Partial<LabState>) };
}

// ---------------------------------------------------------------------------------------------
// files

function vars(state: LabState): Record<string, string> {
  const nodeRange = state.trust === "node-range";
  return {
    // The SNAT address in mynetworks and in Rspamd's local_addrs, as in a cluster that trusts its node range.
    MYNETWORKS: nodeRange ? `${addr.listen}/32 ${addr.snat}/32` : `${addr.listen}/32`,
    RSPAMD_LOCAL_ADDRS: ["192.168.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "fd00::/8", "169.254.0.0/16", "fe80::/10", ...(nodeRange ? [`${addr.snat}/32`] : [])]
      .map((a) => `"${a}"`)
      .join(", "),
    // Every lab client is on loopback, which Rspamd always counts as local: check_local is what lets the
    // healthy lab be checked at all. node-range turns it off, so the SNAT address (and, in this loopback
    // lab, every client) is skipped as local — use it with proxy=broken (see test/checks/fixtures/README.md).
    RSPAMD_CHECK_LOCAL: nodeRange ? "false" : "true",
    RSPAMD_MILTER: String(port.rspamdMilter),
    RSPAMD_CONTROLLER: String(port.rspamdController),
    RSPAMD_HS_CACHE: paths.rspamdCache,
    DNS: String(port.dns),
    BREVO_DOMAIN: brevo.sender.split("@")[1]!,
    BREVO_RELAY_DOMAIN: brevo.bounceDomain,
    BREVO_RELAY: addr.brevoRelay,
    PROXY_CLAIM: addr.proxyClaim,
    DKIM_SELECTOR: brevo.dkimSelector,
    DKIM_TXT: dkimTxt(),
    LAB: LAB_DIR,
    LISTEN: addr.listen,
    SNAT: addr.snat,
    MX_HOSTNAME: mx.hostname,
    MX_DOMAIN: mx.domain,
    PROBE_USER: accounts.probe.user,
    OTHER_USER: accounts.other.user,
    ALIAS: accounts.alias,
    SCALE_MAILBOXES: scaleAccounts.map((a) => `${a.user}=ok`).join(", "),
    MAIL_UID: String(MAIL_UID),
    MAIL_GID: String(MAIL_GID),
    SMTP_STOCK: String(port.smtpStock),
    SUBMISSION_STOCK: String(port.submissionStock),
    SMTP_IMMEDIATE: String(port.smtpImmediate),
    SUBMISSION_IMMEDIATE: String(port.submissionImmediate),
    SMTP_ALT: String(port.smtpAlt),
    SUBMISSION_ALT: String(port.submissionAlt),
    SMTPS_STOCK: String(port.smtpsStock),
    SMTPS_ALT: String(port.smtpsAlt),
    IMAPS_STOCK: String(port.imapsStock),
    IMAPS_ALT: String(port.imapsAlt),
    IMAPS_NOUIDPLUS: String(port.imapsNoUidplus),
    IMAPS_NOUIDPLUS_NOMOVE: String(port.imapsNoUidplusNoMove),
    NOUIDPLUS_MOVE_ADDR: addr.noUidplusMove,
    NOUIDPLUS_NOMOVE_ADDR: addr.noUidplusNoMove,
    ...storeVars(),
    ...mtaVars(),
    ...saVars(state),
  };
}

function render(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`lab template: no value for {{${name}}}`);
    return value;
  });
}

export function renderFile(name: string, target: string, state: LabState, extra: Record<string, string> = {}): void {
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, render(readFileSync(join(here, "conf", name), "utf8"), { ...vars(state), ...extra }));
}

/** The DKIM key pair of Brevo's customer domain (public half in DNS) and a second one that is in no DNS. */
export const dkimFiles = {
  key: join(paths.dkim, `${brevo.dkimSelector}.key`),
  publicKey: join(paths.dkim, `${brevo.dkimSelector}.pub`),
  wrongKey: join(paths.dkim, "wrong.key"),
} as const;

function makeDkim(): void {
  mkdirSync(paths.dkim, { recursive: true });
  if (existsSync(dkimFiles.key) && existsSync(dkimFiles.publicKey) && existsSync(dkimFiles.wrongKey)) return;
  const pair = () => generateKeyPairSync("rsa", { modulusLength: 2048 });
  const good = pair();
  writeFileSync(dkimFiles.key, good.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  writeFileSync(dkimFiles.publicKey, good.publicKey.export({ type: "spki", format: "der" }).toString("base64") + "\n");
  writeFileSync(dkimFiles.wrongKey, pair().privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
}

/** The DKIM TXT record's value as unbound's local-data wants it: quoted strings of at most 255 bytes. */
function dkimTxt(): string {
  if (!existsSync(dkimFiles.publicKey)) return '"v=DKIM1; k=rsa; p="';
  const value = `v=DKIM1; k=rsa; p=${readFileSync(dkimFiles.publicKey, "utf8").trim()}`;
  return (value.match(/.{1,250}/g) ?? []).map((part) => `"${part}"`).join(" ");
}

/** A system user's uid and gid (the daemons' users come with their Debian packages). */
export function userIds(name: string): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith(`${name}:`));
  const [uid, gid] = [Number(line?.split(":")[2]), Number(line?.split(":")[3])];
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`lab: no user ${name}; run scripts/bootstrap.sh`);
  return { uid, gid };
}

/** A directory owned by a daemon's user (its state, pid or log directory). */
function ownedDir(dir: string, user: string): void {
  mkdirSync(dir, { recursive: true });
  const { uid, gid } = userIds(user);
  chownSync(dir, uid, gid);
}

/** The files that the trust switch changes: Postfix's main.cf and Rspamd's options. */
function writeTrustFiles(state: LabState): void {
  renderFile("postfix-main.cf", join(paths.etc, "postfix", "main.cf"), state);
  renderFile("rspamd/local.d/options.inc", join(paths.etc, "rspamd", "local.d", "options.inc"), state);
}

export function haproxyConfig(state: LabState): string {
  const proxied = state.proxy === "ok";
  const smtpTarget = `${addr.listen}:${mtaTarget(state.mta, proxied)}${proxied ? " send-proxy-v2" : ""}`;
  const imapsTarget = proxied ? `${addr.listen}:${port.imapsAlt} send-proxy-v2` : `${addr.listen}:${port.imapsStock}`;
  const lines = [
    "# Rendered by test/lab/lab.ts: the firewall/HAProxy hop and kube-proxy's SNAT (source).",
    "global",
    `  pidfile ${paths.run}/haproxy.pid`,
    // A switch is a soft reload (-sf): the old process finishes its sessions, for at most this long.
    "  hard-stop-after 3s",
    "defaults",
    "  mode tcp",
    "  timeout connect 5s",
    "  timeout client 10m",
    "  timeout server 10m",
    "frontend smtp_ext",
    `  bind ${addr.listen}:${port.extSmtp}`,
    "  default_backend mx_smtp",
    "backend mx_smtp",
    `  server mx ${smtpTarget} source ${addr.snat}`,
    "backend mx_imaps",
    `  server mx ${imapsTarget} source ${addr.snat}`,
  ];
  const imapsPorts: number[] = [];
  if (state.extImaps === "up") imapsPorts.push(port.extImaps);
  for (let i = 0; i < state.extraImapsFrontends; i++) imapsPorts.push(port.extImapsExtraFirst + i);
  imapsPorts.forEach((p, i) => {
    lines.push(`frontend imaps_ext_${i}`, `  bind ${addr.listen}:${p}`, "  default_backend mx_imaps");
  });
  return lines.join("\n") + "\n";
}

function prometheusConfig(): string {
  return [
    "global:",
    "  scrape_interval: 1s",
    "  evaluation_interval: 1s",
    "scrape_configs:",
    "  - job_name: pushgateway",
    "    honor_labels: true",
    "    static_configs:",
    `      - targets: ['${addr.listen}:${port.pushgateway}']`,
    "  - job_name: mailprobe-serve",
    "    static_configs:",
    `      - targets: ['${addr.listen}:${port.serveMetrics}']`,
    "",
  ].join("\n");
}

async function makeTls(): Promise<void> {
  const dir = paths.tls;
  // The MX name, and the listen address for clients that cannot set a TLS server name (the Nagios peer).
  const ext = `subjectAltName=DNS:${mx.hostname},IP:${addr.listen}\nextendedKeyUsage=serverAuth\n`;
  const current = existsSync(join(dir, "mx.ext")) ? readFileSync(join(dir, "mx.ext"), "utf8") : "";
  if (current === ext && existsSync(join(dir, "mx.crt")) && existsSync(paths.caCert) && existsSync(join(dir, "expired.crt"))) return;
  mkdirSync(dir, { recursive: true });
  const o = (args: string[]) => run("openssl", args, { cwd: dir });
  await o(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key"]);
  await o(["req", "-x509", "-new", "-key", "ca.key", "-sha256", "-days", "3650", "-subj", "/CN=mailprobe lab CA", "-out", "ca.crt"]);
  await o(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "mx.key"]);
  await o(["req", "-new", "-key", "mx.key", "-subj", `/CN=${mx.hostname}`, "-out", "mx.csr"]);
  writeFileSync(join(dir, "mx.ext"), ext);
  await o([
    "x509",
    "-req",
    "-in",
    "mx.csr",
    "-CA",
    "ca.crt",
    "-CAkey",
    "ca.key",
    "-CAcreateserial",
    "-days",
    "825",
    "-sha256",
    "-extfile",
    "mx.ext",
    "-out",
    "mx.crt",
  ]);
  // The same name and CA, expired in 2020: for the TLS fault tests.
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "serial"), "1000\n");
  writeFileSync(
    join(dir, "ca.cnf"),
    "[ca]\ndefault_ca = lab\n[lab]\ndatabase = index.txt\nnew_certs_dir = .\nserial = serial\ndefault_md = sha256\npolicy = any\ncopy_extensions = copy\nunique_subject = no\n[any]\ncommonName = supplied\n",
  );
  await o([
    "ca",
    "-batch",
    "-config",
    "ca.cnf",
    "-in",
    "mx.csr",
    "-cert",
    "ca.crt",
    "-keyfile",
    "ca.key",
    "-startdate",
    "20200101000000Z",
    "-enddate",
    "20200201000000Z",
    "-extfile",
    "mx.ext",
    "-notext",
    "-out",
    "expired.crt",
  ]);
}

export function dovecotGid(): number {
  const line = readFileSync("/etc/group", "utf8")
    .split("\n")
    .find((l) => l.startsWith("dovecot:"));
  const gid = Number(line?.split(":")[2]);
  if (!Number.isInteger(gid)) throw new Error("lab: no `dovecot` group; is dovecot-core installed?");
  return gid;
}

function writeFiles(state: LabState): void {
  for (const d of [paths.etc, paths.run, paths.log, join(LAB_DIR, "lib"), join(LAB_DIR, "spool", "postfix")]) mkdirSync(d, { recursive: true });
  writeTrustFiles(state);
  renderFile("postfix-master.cf", join(paths.etc, "postfix", "master.cf"), state);
  renderFile("postscreen_access.cidr", join(paths.etc, "postfix", "postscreen_access.cidr"), state);
  renderFile("dovecot.conf", join(paths.etc, "dovecot", "dovecot.conf"), state);
  renderFile("dovecot-junk.sieve", join(paths.etc, "dovecot", "junk.sieve"), state);
  renderFile("rspamd/rspamd.conf", join(paths.etc, "rspamd", "rspamd.conf"), state);
  renderFile("rspamd/rspamd.conf.override", join(paths.etc, "rspamd", "rspamd.conf.override"), state);
  for (const f of ["milter_headers.conf", "hfilter_group.conf", "headers_group.conf"])
    renderFile(`rspamd/local.d/${f}`, join(paths.etc, "rspamd", "local.d", f), state);
  renderFile("unbound.conf", join(paths.etc, "unbound.conf"), state);
  renderFile("exim.conf", join(paths.etc, "exim.conf"), state);
  renderFile("smtpd.conf", join(paths.etc, "smtpd.conf"), state);
  for (const [name, target] of saTemplates) renderFile(name, target, state);
  for (const d of ["run/rspamd", "lib/rspamd", "log/rspamd"]) ownedDir(join(LAB_DIR, d), RSPAMD_USER);
  ownedDir(paths.rspamdCache, RSPAMD_USER);
  ownedDir(join(paths.run, "unbound"), UNBOUND_USER);
  const users = join(paths.etc, "dovecot", "users");
  writeFileSync(users, [accounts.probe, accounts.other, ...scaleAccounts].map((a) => `${a.user}:{PLAIN}${a.password}::::::\n`).join(""));
  // Dovecot's auth process runs as the `dovecot` user.
  chownSync(users, 0, dovecotGid());
  chmodSync(users, 0o640);
  writeStoreFiles(state);
  writeFileSync(join(paths.etc, "haproxy.cfg"), haproxyConfig(state));
  writeFileSync(join(paths.etc, "prometheus.yml"), prometheusConfig());
  writeFileSync(paths.state, JSON.stringify(state, null, 2));
  mkdirSync(paths.mail, { recursive: true });
  chownSync(paths.mail, MAIL_UID, MAIL_GID);
}

// ---------------------------------------------------------------------------------------------
// processes

function pidAlive(pid: number): boolean {
  // kill(-1, 0) (or 0) signals every process we may signal and succeeds: never a lab daemon.
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export function readPid(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`lab: ${what} not ready after ${timeoutMs} ms (logs: ${paths.log})`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function tcpOpen(host: string, p: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port: p });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

/** Starts a foreground program detached, its output to a log file, and records its pid. */
export function daemon(name: string, cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void {
  const out = openSync(join(paths.log, `${name}.log`), "a");
  const child = spawn(cmd, args, { detached: true, stdio: ["ignore", out, out], cwd: repoRoot, env });
  closeSync(out);
  writeFileSync(join(paths.run, `${name}.pid`), String(child.pid));
  child.unref();
}

export async function stopPid(pid: number | undefined, timeoutMs = 10_000): Promise<void> {
  if (pid === undefined || !pidAlive(pid)) return;
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const end = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() > end) {
      process.kill(pid, "SIGKILL");
      break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Postfix reports its errors only in its log: quote the tail when a command fails. */
async function postfix(cmd: string): Promise<void> {
  try {
    await run("postfix", ["-c", join(paths.etc, "postfix"), cmd]);
  } catch {
    let tail = "";
    try {
      tail = readFileSync(join(paths.log, "postfix.log"), "utf8").trim().split("\n").slice(-5).join("\n");
    } catch {
      /* no log yet */
    }
    throw new Error(`lab: postfix ${cmd} failed:\n${tail}`);
  }
}

const daemons = ["pushgateway", "prometheus", "fake-brevo", "unbound"] as const;

/** Rspamd in the foreground as its own user, on the lab's private config; ready when the milter port answers. */
async function startRspamd(): Promise<void> {
  const dir = (d: string) => join(LAB_DIR, d, "rspamd");
  daemon("rspamd", "rspamd", [
    "-f",
    "-u",
    RSPAMD_USER,
    "-g",
    RSPAMD_USER,
    "-c",
    join(paths.etc, "rspamd", "rspamd.conf"),
    "--var",
    `LOCAL_CONFDIR=${join(paths.etc, "rspamd")}`,
    "--var",
    `DBDIR=${dir("lib")}`,
    "--var",
    `RUNDIR=${dir("run")}`,
    "--var",
    `LOGDIR=${dir("log")}`,
  ]);
  await waitFor("rspamd milter", () => tcpOpen(addr.listen, port.rspamdMilter), 120_000);
  await waitFor("rspamd controller", () => httpOk(`http://${addr.listen}:${port.rspamdController}/ping`), 120_000);
}

async function stopRspamd(): Promise<void> {
  await stopPid(readPid(join(paths.run, "rspamd.pid")));
}

/** Starts HAProxy; with the PID of a running one, as a seamless reload (new listeners first, as in production). */
async function startHaproxy(previous?: number): Promise<void> {
  await run("haproxy", ["-c", "-q", "-f", join(paths.etc, "haproxy.cfg")]);
  const alive = previous !== undefined && pidAlive(previous);
  await run("haproxy", ["-D", "-f", join(paths.etc, "haproxy.cfg"), "-p", join(paths.run, "haproxy.pid"), ...(alive ? ["-sf", String(previous)] : [])]);
}

async function stopHaproxy(): Promise<void> {
  await stopPid(readPid(join(paths.run, "haproxy.pid")));
}

/** Starts every part of the lab (stopping a previous one first) and waits until each answers. */
export async function up(log: (line: string) => void = console.log): Promise<number> {
  const started = Date.now();
  const missing = mtasInstalled() ?? saInstalled();
  if (missing) throw new Error(missing);
  await down();
  // Uptime Kuma first: its start (3–5 s, more on a busy machine) overlaps everything else.
  const kuma = startKuma().then(() => log(`lab: uptime kuma ready in ${((Date.now() - started) / 1000).toFixed(1)} s`));
  await makeTls();
  makeDkim();
  const state = { ...DEFAULT_STATE };
  writeFiles(state);
  await run("unbound-checkconf", [join(paths.etc, "unbound.conf")]);
  await run("sievec", [join(paths.etc, "dovecot", "junk.sieve")]);
  daemon("unbound", "unbound", ["-d", "-c", join(paths.etc, "unbound.conf")]);
  const rspamdStarted = Date.now();
  const rspamd = startRspamd().then(() => log(`lab: rspamd ready in ${((Date.now() - rspamdStarted) / 1000).toFixed(1)} s`));
  rmSync(paths.mail, { recursive: true, force: true });
  mkdirSync(paths.mail, { recursive: true });
  chownSync(paths.mail, MAIL_UID, MAIL_GID);

  // Dovecot keeps the caller's stderr open: give it a file, not our pipe.
  const dovecotOut = openSync(join(paths.log, "dovecot-start.log"), "a");
  await new Promise<void>((resolve, reject) => {
    const p = spawn("dovecot", ["-c", join(paths.etc, "dovecot", "dovecot.conf")], { stdio: ["ignore", dovecotOut, dovecotOut] });
    p.once("error", reject);
    p.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`dovecot exited ${code} (see ${paths.log}/dovecot-start.log)`))));
  });
  closeSync(dovecotOut);
  const stores = startStores(log);
  await postfix("check");
  await postfix("start");
  await startHaproxy();
  const mtas = startExim();
  startOpensmtpd(daemon);
  daemon("pushgateway", "prometheus-pushgateway", [`--web.listen-address=${addr.listen}:${port.pushgateway}`]);
  daemon("prometheus", "prometheus", [
    `--config.file=${join(paths.etc, "prometheus.yml")}`,
    `--storage.tsdb.path=${join(LAB_DIR, "lib", "prometheus")}`,
    `--web.listen-address=${addr.listen}:${port.prometheus}`,
  ]);
  daemon("fake-brevo", process.execPath, ["--import", "tsx", join(here, "fake-brevo.ts")]);

  const h = addr.listen;
  await Promise.all([
    waitFor("dovecot imaps", () => tcpOpen(h, port.imapsStock)),
    waitFor("dovecot imaps (proxy)", () => tcpOpen(h, port.imapsAlt)),
    waitFor("dovecot imaps (no UIDPLUS)", () => tcpOpen(addr.noUidplusMove, port.imapsNoUidplus)),
    waitFor("dovecot imaps (no UIDPLUS, no MOVE)", () => tcpOpen(addr.noUidplusNoMove, port.imapsNoUidplusNoMove)),
    waitFor("dovecot lmtp", () => existsSync(join(paths.run, "dovecot", "lmtp"))),
    waitFor("postfix smtpd", () => tcpOpen(h, port.smtpStock)),
    waitFor("postfix postscreen", () => tcpOpen(h, port.smtpAlt)),
    waitFor("postfix submission", () => tcpOpen(h, port.submissionStock)),
    waitFor("postfix smtpd (immediate)", () => tcpOpen(h, port.smtpImmediate)),
    waitFor("postfix submission (immediate)", () => tcpOpen(h, port.submissionImmediate)),
    waitFor("postfix smtps", () => tcpOpen(h, port.smtpsStock)),
    waitFor("postfix smtps (proxy)", () => tcpOpen(h, port.smtpsAlt)),
    waitFor("haproxy", () => tcpOpen(h, port.extSmtp)),
    waitFor("pushgateway", () => httpOk(`http://${h}:${port.pushgateway}/-/healthy`)),
    waitFor("prometheus", () => httpOk(`http://${h}:${port.prometheus}/-/ready`)),
    waitFor("fake brevo", () => httpOk(`http://${h}:${port.fakeBrevo}/__lab/health`)),
    waitFor("unbound", () => udpAnswers(h, port.dns)),
    rspamd,
    stores,
    kuma,
    mtas,
    // The SpamAssassin stack starts at its first switch to it (spamd's rule loading would slow every `lab up`).
    ...mtaListeners.map(([name, p]) => waitFor(name, () => tcpOpen(h, p))),
  ]);
  const ms = Date.now() - started;
  log(`lab: up in ${(ms / 1000).toFixed(1)} s (${LAB_DIR})`);
  return ms;
}

/** Stops every part of the lab; safe to call when nothing runs. */
export async function down(): Promise<void> {
  const tasks: Promise<unknown>[] = [stopHaproxy()];
  if (existsSync(join(paths.etc, "postfix", "main.cf"))) {
    const master = readPid(join(LAB_DIR, "spool", "postfix", "pid", "master.pid"));
    tasks.push(
      run("postfix", ["-c", join(paths.etc, "postfix"), "stop"])
        .catch(() => undefined)
        .then(() => stopPid(master)),
    );
  }
  tasks.push(stopPid(readPid(join(paths.run, "dovecot", "master.pid"))));
  tasks.push(stopRspamd());
  tasks.push(stopStores());
  tasks.push(stopKuma());
  tasks.push(stopMtas(stopPid, readPid));
  for (const f of saFiles.pids) tasks.push(stopPid(readPid(f)));
  for (const d of daemons) tasks.push(stopPid(readPid(join(paths.run, `${d}.pid`))));
  await Promise.all(tasks);
}

/** Switches faults; only what a switch concerns reloads (HAProxy, Postfix) or restarts (Rspamd). */
export async function set(change: Partial<LabState>): Promise<LabState> {
  checkChange(change);
  const before = readState();
  const state = { ...before, ...change };
  writeFileSync(paths.state, JSON.stringify(state, null, 2));
  // The fake Brevo reads the dkim switch from the state file at each delivery: nothing to restart.
  const haproxyCfg = join(paths.etc, "haproxy.cfg");
  const wanted = haproxyConfig(state);
  if (!existsSync(haproxyCfg) || readFileSync(haproxyCfg, "utf8") !== wanted || !pidAlive(readPid(join(paths.run, "haproxy.pid")) ?? -1)) {
    writeFileSync(haproxyCfg, wanted);
    await startHaproxy(readPid(join(paths.run, "haproxy.pid")));
    await waitFor("haproxy", () => tcpOpen(addr.listen, port.extSmtp));
    if (state.extImaps === "up") await waitFor("haproxy imaps", () => tcpOpen(addr.listen, port.extImaps));
  }
  const trustChanged = state.trust !== before.trust;
  if (state.stack === "spamassassin") {
    if (!pidAlive(readPid(saFiles.pids[0]!) ?? -1)) startSaStack(daemon);
    await Promise.all(saListeners.map(([name, p]) => waitFor(name, () => tcpOpen(addr.listen, p), 120_000)));
  }
  if (trustChanged || state.stack !== before.stack) {
    writeTrustFiles(state);
    await postfix("reload");
    // postfix reload only signals the master: give it a moment to replace the smtpd processes.
    await new Promise((r) => setTimeout(r, 500));
  }
  const rspamdRunning = pidAlive(readPid(join(paths.run, "rspamd.pid")) ?? -1);
  if (state.rspamd === "down" && rspamdRunning) await stopRspamd();
  if (state.rspamd === "up" && (!rspamdRunning || trustChanged)) {
    // A restart rather than SIGHUP: its workers are then all on the new options before the switch returns.
    if (rspamdRunning) await stopRspamd();
    await startRspamd();
  }
  return state;
}

/** Whether a DNS server answers a query for "." on UDP. */
function udpAnswers(host: string, p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createSocket("udp4");
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 500);
    sock.once("message", () => done(true));
    sock.once("error", () => done(false));
    // id 1, RD, one question: ". IN SOA".
    sock.send(Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 1]), p, host);
  });
}
