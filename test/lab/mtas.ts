// The lab's alternative MXs: Exim 4 (exim4-daemon-heavy 4.96) and OpenSMTPD 6.8, each on its own
// loopback ports, delivering into the lab's Dovecot over LMTP. Both conflict with Postfix as Debian
// packages, so scripts/bootstrap.sh unpacks them (`apt-get download` + `dpkg -x`) into a private root
// (MTA_ROOT); this module renders their private configs and starts and stops them. Nothing system-wide:
// - Exim runs as Debian-exim (unprivileged, high ports; the private copy has no setuid bit), so it
//   accepts its `-C` config without a trusted-config list.
// - OpenSMTPD is privilege-separated (root parent, _smtpd/_smtpq children) and has its spool, control
//   socket and helper programs compiled in (/var/spool/smtpd, /var/run/smtpd.sock,
//   /usr/libexec/opensmtpd): it runs in its own mount namespace with the lab's directories bound there.
// Both resolve names (client reverse lookups, HELO names) through the lab's unbound only, as the
// SpamAssassin stack does (sa-stack.ts: a private resolv.conf in their mount namespace).
// HAProxy's `mta` switch (lab.ts) chooses which MX its public SMTP frontend leads to.
import { execFile } from "node:child_process";
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { LAB_DIR, paths, port } from "./topology.js";
import { userIds } from "./lab.js";
import { inLabDnsArgs, labDnsMounts } from "./sa-stack.js";

const run = promisify(execFile);

/** Where scripts/bootstrap.sh unpacks the MTAs' Debian packages (kept across labs, like Rspamd's cache). */
export const MTA_ROOT = process.env.MAILPROBE_MTA_ROOT ?? "/var/tmp/mailprobe-mta-root/root";
export const EXIM_USER = "Debian-exim";

export const mtaFiles = {
  exim: join(MTA_ROOT, "usr", "sbin", "exim4"),
  smtpd: join(MTA_ROOT, "usr", "sbin", "smtpd"),
  eximConf: join(paths.etc, "exim.conf"),
  smtpdConf: join(paths.etc, "smtpd.conf"),
  eximPid: join(paths.run, "exim.pid"),
  smtpdPid: join(paths.run, "opensmtpd.pid"),
  smtpdDir: join(LAB_DIR, "opensmtpd"),
} as const;

/** The private root's libraries that the system lacks (libspf2, libidn12, libmariadb3). */
export function mtaEnv(): NodeJS.ProcessEnv {
  const libs = [join(MTA_ROOT, "usr", "lib", "x86_64-linux-gnu"), join(MTA_ROOT, "usr", "lib")].join(":");
  return { ...process.env, LD_LIBRARY_PATH: libs };
}

export function mtasInstalled(): string | undefined {
  for (const f of [mtaFiles.exim, mtaFiles.smtpd]) if (!existsSync(f)) return `lab: ${f} is missing; run scripts/bootstrap.sh (unpacks Exim and OpenSMTPD)`;
  return undefined;
}

/** The template values of both MTAs' configs. */
export function mtaVars(): Record<string, string> {
  return {
    EXIM_SMTP: String(port.eximSmtp),
    EXIM_SMTP_ALT: String(port.eximSmtpAlt),
    SMTPD_SMTP: String(port.opensmtpdSmtp),
    SMTPD_SMTP_ALT: String(port.opensmtpdSmtpAlt),
    SMTPD_ROOT: MTA_ROOT,
    EXIM_BIN: mtaFiles.exim,
    EXIM_FILTER_MAIN: "",
    EXIM_FILTER_DATA: "",
  };
}

/** Exim runs as Debian-exim: its spool, logs and its copy of the TLS key belong to that user. */
function eximFiles(uid: number, gid: number): void {
  for (const d of [join(LAB_DIR, "exim"), join(LAB_DIR, "exim", "spool")]) {
    mkdirSync(d, { recursive: true });
    chownSync(d, uid, gid);
  }
  for (const f of ["main", "reject", "panic"].map((n) => join(paths.log, `exim-${n}.log`))) {
    if (!existsSync(f)) writeFileSync(f, "");
    chownSync(f, uid, gid);
  }
  copyFileSync(join(paths.tls, "mx.key"), join(LAB_DIR, "exim", "mx.key"));
  chownSync(join(LAB_DIR, "exim", "mx.key"), uid, gid);
  chmodSync(join(LAB_DIR, "exim", "mx.key"), 0o600);
}

/** Exim 4 as a daemon (-bd, queue runs every minute for the odd deferral); it writes its own pid file. */
export async function startExim(): Promise<void> {
  const { uid, gid } = userIds(EXIM_USER);
  eximFiles(uid, gid);
  rmSync(mtaFiles.eximPid, { force: true });
  chmodSync(paths.run, 0o1777);
  // In the lab's DNS namespace (Exim looks up names on its own), then as Debian-exim.
  const [cmd, args] = inLabDnsArgs(["setpriv", `--reuid=${uid}`, `--regid=${gid}`, "--clear-groups", mtaFiles.exim, "-C", mtaFiles.eximConf, "-bd", "-q1m"]);
  await run(cmd, args, { env: mtaEnv() });
}

/** OpenSMTPD's compiled-in paths, each bound over its directory in the daemon's own mount namespace. */
function smtpdMounts(): [string, string][] {
  const d = mtaFiles.smtpdDir;
  return [
    [join(d, "spool"), "/var/spool"],
    [join(d, "run"), "/run"],
    [join(d, "varlib"), "/var/lib"],
    [join(MTA_ROOT, "usr", "libexec"), "/usr/libexec"],
  ];
}

/** OpenSMTPD in the foreground (-d) in a private mount namespace; unshare and sh exec it, so the pid is smtpd's. */
export function startOpensmtpd(daemon: (name: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv) => void): void {
  const d = mtaFiles.smtpdDir;
  for (const sub of ["spool", "run", "varlib/opensmtpd/empty"]) mkdirSync(join(d, sub), { recursive: true });
  chmodSync(join(d, "spool"), 0o711);
  const script = [
    "set -e",
    ...labDnsMounts(),
    ...smtpdMounts().map(([from, to]) => `mount --bind '${from}' '${to}'`),
    `exec '${mtaFiles.smtpd}' -d -f '${mtaFiles.smtpdConf}'`,
  ].join("\n");
  daemon("opensmtpd", "unshare", ["-m", "sh", "-c", script], mtaEnv());
}

/** Both MTAs' listeners, for the lab's readiness wait. */
export const mtaListeners: [string, number][] = [
  ["exim", port.eximSmtp],
  ["exim (proxy)", port.eximSmtpAlt],
  ["opensmtpd", port.opensmtpdSmtp],
  ["opensmtpd (proxy)", port.opensmtpdSmtpAlt],
];

/** The public SMTP frontend's target for each MX: the PROXY listener (proxied) or the stock one. */
export function mtaTarget(mta: Mta, proxied: boolean): number {
  const ports: Record<Mta, [number, number]> = {
    postfix: [port.smtpAlt, port.smtpStock],
    exim: [port.eximSmtpAlt, port.eximSmtp],
    opensmtpd: [port.opensmtpdSmtpAlt, port.opensmtpdSmtp],
  };
  return ports[mta][proxied ? 0 : 1];
}

export const MTAS = ["postfix", "exim", "opensmtpd"] as const;
export type Mta = (typeof MTAS)[number];

export async function stopMtas(stop: (pid: number | undefined) => Promise<void>, readPid: (f: string) => number | undefined): Promise<void> {
  await Promise.all([stop(readPid(mtaFiles.eximPid)), stop(readPid(mtaFiles.smtpdPid))]);
}
