// The other common filter stack behind the lab's Postfix (switch stack=spamassassin): SpamAssassin
// (spamd, Debian's shipped rules, network tests off) through spamass-milter, OpenDKIM (verifying),
// OpenDMARC (which checks SPF itself too) and postfix-policyd-spf-python as a policy service (it
// prepends Received-SPF). Installed by scripts/bootstrap.sh (policy-rc.d keeps them from starting
// system-wide); here they run as private instances on loopback with the lab's configs, started at the
// first switch to stack=spamassassin (~10-15 s: spamd loads its rules) and then kept until `lab down`,
// so that later switches are only a Postfix reload.
// Their DNS goes to the lab's unbound alone: they read /etc/resolv.conf, so they run in a private mount
// namespace where a lab file naming the unbound's second listener (SA_DNS_ADDR, port 53: resolv.conf has
// no port) is bound over it; OpenDKIM's libunbound is also forwarded there by its own config.
import { copyFileSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { LAB_DIR, addr, basePort, paths, port } from "./topology.js";
import { userIds, type LabState } from "./lab.js";

const here = dirname(fileURLToPath(import.meta.url));

export const STACKS = ["rspamd", "spamassassin"] as const;
export type FilterStack = (typeof STACKS)[number];

/** The unbound's listener for resolvers that only speak port 53: one loopback address per lab. */
export const saDnsAddr = `127.0.${Math.floor(basePort / 1000) % 256}.53`;

export const saFiles = {
  siteConfig: join(paths.etc, "spamassassin"),
  resolv: join(paths.etc, "resolv.conf"),
  pids: ["spamd", "spamass-milter", "opendkim", "opendmarc", "policyd-spf"].map((n) => join(paths.run, `${n}.pid`)),
} as const;

/** The conf/sa templates and where each is rendered. */
export const saTemplates: [string, string][] = [
  ["sa/local.cf", join(saFiles.siteConfig, "local.cf")],
  ["sa/opendkim.conf", join(paths.etc, "opendkim.conf")],
  ["sa/opendkim-unbound.conf", join(paths.etc, "opendkim-unbound.conf")],
  ["sa/opendmarc.conf", join(paths.etc, "opendmarc.conf")],
  ["sa/policyd-spf.conf", join(paths.etc, "policyd-spf.conf")],
  ["sa/resolv.conf", saFiles.resolv],
];

/** Template values; Postfix's milters and policy check follow the stack switch. */
export function saVars(state: LabState): Record<string, string> {
  const l = addr.listen;
  const sa = state.stack === "spamassassin";
  return {
    SA_DNS_ADDR: saDnsAddr,
    SA_OPENDKIM: String(port.opendkim),
    SA_OPENDMARC: String(port.opendmarc),
    SMTPD_MILTERS: sa ? `inet:${l}:${port.opendkim}, inet:${l}:${port.opendmarc}, inet:${l}:${port.spamassMilter}` : `inet:${l}:${port.rspamdMilter}`,
    SPF_POLICY: sa ? `check_policy_service inet:${l}:${port.policydSpf},` : "",
  };
}

/** spamd's site config: Debian's plugin loads (*.pre) beside the lab's local.cf. */
function copyPre(): void {
  mkdirSync(saFiles.siteConfig, { recursive: true });
  for (const f of readdirSync("/etc/spamassassin").filter((n) => n.endsWith(".pre"))) copyFileSync(join("/etc/spamassassin", f), join(saFiles.siteConfig, f));
}

export function saInstalled(): string | undefined {
  for (const f of ["/usr/sbin/spamd", "/usr/sbin/spamass-milter", "/usr/sbin/opendkim", "/usr/sbin/opendmarc", "/usr/bin/policyd-spf"])
    if (!existsSync(f)) return `lab: ${f} is missing; run scripts/bootstrap.sh (installs the SpamAssassin stack)`;
  return undefined;
}

type Daemon = (name: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv) => void;

/** The shell lines that give a fresh mount namespace the lab's resolv.conf (for the MTAs too). */
export const labDnsMounts = () => ["mount --make-rprivate /", `mount --bind '${saFiles.resolv}' /etc/resolv.conf`];

/** A command line run in its own mount namespace with the lab's resolv.conf over /etc/resolv.conf. */
export function inLabDnsArgs(argv: string[]): [string, string[]] {
  const quoted = argv.map((a) => `'${a}'`).join(" ");
  return ["unshare", ["-m", "sh", "-c", ["set -e", ...labDnsMounts(), `exec ${quoted}`].join("; ")]];
}

function inLabDns(daemon: Daemon, name: string, argv: string[]): void {
  daemon(name, ...inLabDnsArgs(argv));
}

export function startSaStack(daemon: Daemon): void {
  copyPre();
  for (const d of ["lib/spamd", "lib/spamass-milter"]) mkdirSync(join(LAB_DIR, d), { recursive: true });
  const spamd = userIds("debian-spamd");
  const milter = userIds("spamass-milter");
  const spf = userIds("policyd-spf");
  const l = addr.listen;
  inLabDns(daemon, "spamd", [
    "/usr/sbin/spamd",
    `--listen=${l}:${port.spamd}`,
    `--allowed-ips=${l}`,
    "--local",
    "--nouser-config",
    `--siteconfigpath=${saFiles.siteConfig}`,
    `--helper-home-dir=${join(LAB_DIR, "lib", "spamd")}`,
    "--username=debian-spamd",
    "--max-children=2",
    `--syslog=${join(paths.log, "spamd-own.log")}`,
  ]);
  void spamd;
  // spamass-milter as its own user (setpriv), spamc talking to the lab's spamd; -m: headers only.
  inLabDns(daemon, "spamass-milter", [
    "setpriv",
    `--reuid=${milter.uid}`,
    `--regid=${milter.gid}`,
    "--clear-groups",
    "/usr/sbin/spamass-milter",
    "-p",
    `inet:${port.spamassMilter}@${l}`,
    "-m",
    "--",
    "-d",
    l,
    "-p",
    String(port.spamd),
  ]);
  // libunbound also reads /etc/resolv.conf (ub_ctx_resolvconf): the namespace keeps that on the lab's unbound too.
  inLabDns(daemon, "opendkim", ["/usr/sbin/opendkim", "-f", "-x", join(paths.etc, "opendkim.conf")]);
  inLabDns(daemon, "opendmarc", ["/usr/sbin/opendmarc", "-f", "-c", join(paths.etc, "opendmarc.conf")]);
  inLabDns(daemon, "policyd-spf", [
    process.execPath,
    "--import",
    "tsx",
    join(here, "policy-spawn.ts"),
    String(port.policydSpf),
    String(spf.uid),
    String(spf.gid),
    join(paths.etc, "policyd-spf.conf"),
  ]);
}

/** The stack's listeners, for the lab's readiness wait. */
export const saListeners: [string, number][] = [
  ["spamd", port.spamd],
  ["spamass-milter", port.spamassMilter],
  ["opendkim", port.opendkim],
  ["opendmarc", port.opendmarc],
  ["policyd-spf", port.policydSpf],
];
