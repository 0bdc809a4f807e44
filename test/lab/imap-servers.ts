// The lab's other IMAP stores (test/lab/stores.ts): a second Dovecot in the INBOX. layout, Cyrus IMAP
// 3.6 and Courier-IMAP 5. Cyrus and Courier conflict with dovecot-imapd as Debian packages:
// scripts/bootstrap.sh unpacks them (apt-get download + dpkg -x) into a private root and they run from
// there, as root-started daemons with private configs on loopback. Started beside the main lab by `up`.
import { execFile, spawn } from "node:child_process";
import { chownSync, closeSync, copyFileSync, openSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { connect as tlsConnect } from "node:tls";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { daemon, dovecotGid, readPid, renderFile, stopPid, tcpOpen, waitFor, type LabState } from "./lab.js";
import { storeById, storeDomains } from "./stores.js";
import { LAB_DIR, addr, basePort, mx, paths, port } from "./topology.js";

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..");

/** Where scripts/bootstrap.sh unpacks the Cyrus and Courier packages. */
export const IMAP_ROOT = process.env.MAILPROBE_IMAP_ROOT ?? join(repoRoot, ".cache", "imap-root");
const cyrusDir = join(LAB_DIR, "cyrus");
const courierDir = join(LAB_DIR, "courier");
const inboxDotEtc = join(paths.etc, "dovecot-inboxdot");
const MAIL_UID = 65534;
const MAIL_GID = 65534;

const libPath = [join(IMAP_ROOT, "usr/lib/x86_64-linux-gnu"), join(IMAP_ROOT, "lib/x86_64-linux-gnu"), join(IMAP_ROOT, "usr/lib")].join(":");
const rootEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, LD_LIBRARY_PATH: libPath });

/** The values the Postfix and store templates need (merged into lab.ts's template values). */
export function storeVars(): Record<string, string> {
  const mailbox = (user: string, dir: string) => `${user}=${dir}`;
  const courier = storeById("courier");
  const [local, domain] = courier.user.split("@") as [string, string];
  return {
    STORE_DOMAINS: storeDomains.join(" "),
    // Courier's Maildir++ is written by Postfix's virtual(8) (Courier has no LMTP); probe+Junk@ lands in .Junk.
    STORE_MAILBOXES: [
      ...storeDomains.filter((d) => d !== domain).map((d) => `probe@${d}=ok`),
      mailbox(courier.user, `${domain}/${local}/Maildir/`),
      // Postfix lower-cases the address it looks up: the key must be lower case to match.
      mailbox(`${local}+junk@${domain}`, `${domain}/${local}/Maildir/.Junk/`),
    ].join(", "),
    STORE_TRANSPORTS: [
      `${storeById("dovecot-inboxdot").domain}=lmtp:unix:${LAB_DIR}/run/dovecot-inboxdot/lmtp`,
      `${storeById("cyrus-alt").domain}=lmtp:unix:${cyrusDir}/run/lmtp`,
      `${domain}=virtual:`,
    ].join(", "),
    IMAPS_INBOXDOT: String(port.imapsInboxDot),
    IMAPS_CYRUS_ALT: String(port.imapsCyrusAlt),
    IMAPS_CYRUS_TRAD: String(port.imapsCyrusTrad),
    IMAPS_CYRUS_NOUIDPLUS: String(port.imapsCyrusNoUidplus),
    CYRUS: cyrusDir,
    CYRUS_BIN: join(IMAP_ROOT, "usr/lib/cyrus/bin"),
    CYRUS_DOMAIN: storeById("cyrus-alt").domain,
  };
}

const cyrusModes = {
  alt: { NAMING: "altnamespace: yes\nunixhierarchysep: yes", EXTRA: "" },
  trad: { NAMING: "altnamespace: no\nunixhierarchysep: no", EXTRA: "" },
  nouidplus: { NAMING: "altnamespace: yes\nunixhierarchysep: yes", EXTRA: "suppress_capabilities: UIDPLUS" },
} as const;

export function writeStoreFiles(state: LabState): void {
  renderFile("dovecot-inboxdot.conf", join(inboxDotEtc, "dovecot.conf"), state);
  renderFile("dovecot-inboxdot-junk.sieve", join(inboxDotEtc, "junk.sieve"), state);
  const users = join(inboxDotEtc, "users");
  const s = storeById("dovecot-inboxdot");
  writeFileSync(users, `${s.user}:{PLAIN}${s.password}::::::\n`);
  chownSync(users, 0, dovecotGid());
  chmodSync(users, 0o640);
  for (const [mode, extra] of Object.entries(cyrusModes))
    renderFile("cyrus/imapd.conf", join(cyrusDir, "etc", `imapd-${mode}.conf`), state, { MODE: mode, ...extra });
  renderFile("cyrus/cyrus.conf", join(cyrusDir, "etc", "cyrus.conf"), state);
}

/** libgamin starts this compiled-in path when no gam_server answers (strings of libgamin-1.so.0). */
const GAM_SERVER = "/usr/libexec/gam_server";
/**
 * Courier's gam_server is per user and client id (abstract socket `/tmp/fam-USER-ID`): each lab its own,
 * so that labs side by side never share (or stop) one another's.
 */
export const gamClientId = (): string => `mailprobe-lab-${basePort}`;

function assertRoot(): void {
  for (const f of ["usr/lib/cyrus/bin/master", "usr/lib/courier/courier/imaplogin"])
    if (!existsSync(join(IMAP_ROOT, f))) throw new Error(`lab: ${join(IMAP_ROOT, f)} missing; run scripts/bootstrap.sh (unpacks Cyrus and Courier)`);
  // Without gam_server Courier still runs, but every command waits ~1.3 s: refuse rather than measure that.
  if (!existsSync(join(IMAP_ROOT, GAM_SERVER)))
    throw new Error(
      `lab: ${join(IMAP_ROOT, GAM_SERVER)} missing (package gamin): Courier would take ~1.3 s per command; run scripts/bootstrap.sh (unpacks gamin)`,
    );
}

function mailOwned(dir: string): void {
  mkdirSync(dir, { recursive: true });
  chownSync(dir, MAIL_UID, MAIL_GID);
}

async function startInboxDot(): Promise<void> {
  await run("sievec", [join(inboxDotEtc, "junk.sieve")]);
  // Dovecot keeps the caller's stderr open: give it a file, not a pipe.
  const out = openSync(join(paths.log, "dovecot-inboxdot-start.log"), "a");
  try {
    await new Promise<void>((resolve, reject) => {
      const p = spawn("dovecot", ["-c", join(inboxDotEtc, "dovecot.conf")], { stdio: ["ignore", out, out] });
      p.once("error", reject);
      p.once("exit", (code) => (code === 0 ? resolve() : reject(new Error(`dovecot (INBOX.) exited ${code} (see ${paths.log})`))));
    });
  } finally {
    closeSync(out);
  }
  await waitFor("dovecot INBOX. imaps", () => tcpOpen(addr.listen, port.imapsInboxDot));
}

async function startCyrus(): Promise<void> {
  rmSync(join(cyrusDir, "lib"), { recursive: true, force: true });
  rmSync(join(cyrusDir, "spool"), { recursive: true, force: true });
  for (const d of ["lib", "spool", "run", "run/proc", "run/lock", "etc"]) mailOwned(join(cyrusDir, d));
  // The key must be readable by the user Cyrus switches to (nobody).
  copyFileSync(join(paths.tls, "mx.key"), join(cyrusDir, "etc", "mx.key"));
  chownSync(join(cyrusDir, "etc", "mx.key"), MAIL_UID, MAIL_GID);
  chmodSync(join(cyrusDir, "etc", "mx.key"), 0o600);
  const sasldb = join(cyrusDir, "etc", "sasldb2");
  rmSync(sasldb, { force: true });
  const { user, password } = storeById("cyrus-alt");
  // Cyrus asks SASL for the local part in the realm of its servername (not the login's domain).
  const local = user.split("@")[0]!;
  await new Promise<void>((resolve, reject) => {
    const p = execFile(join(IMAP_ROOT, "usr/sbin/saslpasswd2"), ["-f", sasldb, "-p", "-c", "-u", mx.hostname, local], { env: rootEnv() }, (err) =>
      err ? reject(err) : resolve(),
    );
    p.stdin?.end(password);
  });
  chownSync(sasldb, MAIL_UID, MAIL_GID);
  const conf = join(cyrusDir, "etc");
  daemon(
    "cyrus-master",
    join(IMAP_ROOT, "usr/lib/cyrus/bin/master"),
    ["-C", join(conf, "imapd-alt.conf"), "-M", join(conf, "cyrus.conf"), "-p", join(cyrusDir, "run", "master.pid")],
    rootEnv(),
  );
  await Promise.all([port.imapsCyrusAlt, port.imapsCyrusTrad, port.imapsCyrusNoUidplus].map((p) => waitFor(`cyrus imaps ${p}`, () => tcpOpen(addr.listen, p))));
  await waitFor("cyrus lmtp", () => existsSync(join(cyrusDir, "run", "lmtp")));
  // First login creates INBOX, Junk and Trash (autocreate); "anyone p" lets lmtpd file probe+Junk@ there.
  await imapScript(port.imapsCyrusAlt, user, password, ["SETACL Junk anyone p"]);
}

/** Where libcourierauth connects (compiled in, seen with strace: connect(AF_UNIX, this path)). */
const COURIER_AUTH_SOCKET = "/run/courier/authdaemon/socket";

async function startCourier(): Promise<void> {
  const runRoot = join(courierDir, "run");
  rmSync(runRoot, { recursive: true, force: true });
  const socket = join(runRoot, COURIER_AUTH_SOCKET.slice("/run/".length));
  mkdirSync(dirname(socket), { recursive: true });
  const s = storeById("courier");
  const [local, domain] = s.user.split("@") as [string, string];
  const home = join(paths.mail, domain, local);
  const users = join(courierDir, "users.json");
  writeFileSync(users, JSON.stringify([{ user: s.user, password: s.password, uid: MAIL_UID, gid: MAIL_GID, home }]));
  daemon("courier-authdaemon", process.execPath, ["--import", "tsx", join(here, "courier-authdaemon.ts"), socket, users]);
  // Maildir++ with Junk and Trash, as maildirmake makes them, owned by the mail user.
  const maildirmake = join(IMAP_ROOT, "usr/bin/maildirmake.courier");
  mkdirSync(home, { recursive: true });
  const md = join(home, "Maildir");
  await run(maildirmake, [md], { env: rootEnv() });
  for (const f of ["Junk", "Trash"]) await run(maildirmake, ["-f", f, md], { env: rootEnv() });
  await run("chown", ["-R", `${MAIL_UID}:${MAIL_GID}`, join(paths.mail, domain)]);
  // couriertls wants the key and the certificate in one PEM file.
  const pem = join(courierDir, "imapd.pem");
  writeFileSync(pem, readFileSync(join(paths.tls, "mx.key"), "utf8") + readFileSync(join(paths.tls, "mx.crt"), "utf8"), { mode: 0o600 });
  const bin = (p: string) => join(IMAP_ROOT, p);
  const cmd = [
    bin("usr/sbin/couriertcpd"),
    `-address=${addr.listen}`,
    "-maxprocs=64",
    "-maxperip=64",
    "-nodnslookup",
    "-noidentlookup",
    String(s.port),
    bin("usr/bin/couriertls"),
    "-server",
    "-tcpd",
    bin("usr/lib/courier/courier/imaplogin"),
    bin("usr/bin/imapd"),
    "Maildir",
  ];
  const env = {
    ...rootEnv(),
    IMAP_TLS: "1",
    TLS_CERTFILE: pem,
    TLS_PROTOCOL: "TLS1_2:TLS1_3",
    TLS_VERIFYPEER: "NONE",
    IMAP_CAPABILITY: "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE",
    IMAP_CAPABILITY_TLS: "IMAP4rev1 UIDPLUS CHILDREN NAMESPACE THREAD=ORDEREDSUBJECT THREAD=REFERENCES SORT QUOTA IDLE AUTH=PLAIN",
    IMAP_KEYWORDS: "1",
    IMAP_ACL: "1",
    IMAP_IDLE_TIMEOUT: "60",
    IMAP_TRASHFOLDERNAME: "Trash",
    IMAP_EMPTYTRASH: "",
    IMAP_MOVE_EXPUNGE_TO_TRASH: "0",
    IMAP_USELOCKS: "1",
    IMAP_UMASK: "022",
    MAILDIRPATH: "Maildir",
    AUTHMODULES: "authdaemon",
    GAM_CLIENT_ID: gamClientId(),
  };
  // A private mount namespace whose /run holds only the stand-in's socket and whose /usr/libexec is the
  // private root's, so that libgamin finds gam_server where it looks (it runs as the mail user, per login).
  const script = `mount --bind "$0" /run && mount --bind "$1" /usr/libexec && shift && exec "$@"`;
  const libexec = join(IMAP_ROOT, dirname(GAM_SERVER));
  daemon("courier-imapd", "unshare", ["--mount", "--propagation", "private", "sh", "-c", script, runRoot, libexec, ...cmd], env);
  await waitFor("courier imaps", () => tcpOpen(addr.listen, s.port));
}

/** Logs in over IMAPS and runs raw commands (for what imapflow has no call for, e.g. SETACL). */
export function imapScript(p: number, user: string, password: string, commands: string[]): Promise<string> {
  const lines = [`a0 LOGIN "${user}" "${password}"`, ...commands.map((c, i) => `a${i + 1} ${c}`), "z LOGOUT"];
  return new Promise((resolve, reject) => {
    const sock = tlsConnect({ host: addr.listen, port: p, servername: mx.hostname, ca: readFileSync(paths.caCert) });
    let all = "";
    let pending = "";
    let next = 0;
    const fail = (e: Error) => (clearTimeout(timer), sock.destroy(), reject(e));
    const timer = setTimeout(() => fail(new Error(`imapScript: timeout after ${all.slice(-300)}`)), 20_000);
    sock.setEncoding("utf8");
    sock.on("data", (d: string) => {
      all += d;
      pending += d;
      const tag = next === 0 ? "\\* OK" : `${lines[next - 1]!.split(" ")[0]} (OK|NO|BAD)`;
      const m = new RegExp(`(^|\\r\\n)${tag}`).exec(pending);
      if (!m) return;
      if (next > 0 && m[2] !== "OK") return fail(new Error(`imapScript: ${lines[next - 1]!.replace(password, "***")} failed: ${pending.slice(-300)}`));
      if (next === lines.length) {
        clearTimeout(timer);
        sock.end();
        return resolve(all);
      }
      pending = "";
      sock.write(lines[next++]! + "\r\n");
    });
    sock.on("error", fail);
  });
}

/** Starts every store; `up` runs this beside the main lab. */
export async function startStores(log: (line: string) => void): Promise<void> {
  assertRoot();
  const t = Date.now();
  const timed = (name: string, p: Promise<void>) => p.then(() => log(`lab: ${name} ready in ${((Date.now() - t) / 1000).toFixed(1)} s`));
  await Promise.all([timed("dovecot INBOX.", startInboxDot()), timed("cyrus", startCyrus()), timed("courier", startCourier())]);
}

export async function stopStores(): Promise<void> {
  await Promise.all([
    stopPid(readPid(join(LAB_DIR, "run", "dovecot-inboxdot", "master.pid"))),
    stopPid(readPid(join(paths.run, "cyrus-master.pid"))),
    stopPid(readPid(join(paths.run, "courier-imapd.pid"))),
    stopPid(readPid(join(paths.run, "courier-authdaemon.pid"))),
  ]);
}
