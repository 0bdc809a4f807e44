// The lab's addresses and ports: one source of truth for the lab scripts, the fakes and the tests.
// examples/lab.yaml repeats them for the probe; test/lab/topology.test.ts keeps the two in step.
import { join } from "node:path";

/** The lab's ports are this base plus a fixed offset; another base (and MAILPROBE_LAB_DIR) lets two labs run side by side. */
export const DEFAULT_BASE_PORT = 24000;
export const basePort = Number(process.env.MAILPROBE_LAB_BASE_PORT ?? DEFAULT_BASE_PORT);

export const DEFAULT_LAB_DIR = "/var/tmp/mailprobe-lab";
export const LAB_DIR = process.env.MAILPROBE_LAB_DIR ?? DEFAULT_LAB_DIR;

/** examples/lab.yaml is written for the default lab: moves its ports and files to this lab's. */
export function relocateLabText(text: string): string {
  if (basePort === DEFAULT_BASE_PORT && LAB_DIR === DEFAULT_LAB_DIR) return text;
  return text.replace(/\b24(\d{3})\b/g, (_, off: string) => String(basePort + Number(off))).replaceAll(DEFAULT_LAB_DIR, LAB_DIR);
}

/** Loopback addresses standing for the actors of the production path. */
export const addr = {
  /** Every lab listener binds here. */
  listen: "127.0.0.1",
  /** Brevo's relay: the real client IP the probe must find in Received. */
  brevoRelay: "127.0.0.42",
  /** The node IP that kube-proxy's SNAT shows the mailserver. */
  snat: "127.0.0.9",
  /** A client that talks PROXY v2 itself (mailprobe's own PROXY mode). */
  proxyClaim: "127.0.0.77",
  /** Dovecot listeners that announce no UIDPLUS (Dovecot's per-local-address `imap_capability`). */
  noUidplusMove: "127.0.0.21",
  noUidplusNoMove: "127.0.0.22",
} as const;

export const port = {
  /** Postfix stock smtpd, no PROXY (production 25). */
  smtpStock: basePort + 25,
  /** Postfix smtpd like smtpStock but without the milters or policy service: immediate delivery (bench/immediate.ts, issue 23). */
  smtpImmediate: basePort + 26,
  /** Postfix submission like submissionStock but without the milters or policy service: immediate delivery. */
  submissionImmediate: basePort + 589,
  /** Postfix stock submission, STARTTLS + SASL (production 587). */
  submissionStock: basePort + 587,
  /** postscreen, requires PROXY v2 (production 2525). */
  smtpAlt: basePort + 525,
  /** submission smtpd, requires PROXY v2 (production 5587). */
  submissionAlt: basePort + 588,
  /** Postfix stock SMTPS, implicit TLS (production 465). */
  smtpsStock: basePort + 465,
  /** Postfix SMTPS, implicit TLS after a required PROXY v2 header (production 4465). */
  smtpsAlt: basePort + 466,
  /** Dovecot IMAPS, no PROXY (production 993). */
  imapsStock: basePort + 993,
  /** Dovecot IMAPS, requires PROXY v2 (production 10993). */
  imapsAlt: basePort + 994,
  /** Dovecot IMAPS on addr.noUidplusMove: no UIDPLUS, with MOVE (cleanup must move, never expunge). */
  imapsNoUidplus: basePort + 995,
  /** Dovecot IMAPS on addr.noUidplusNoMove: neither UIDPLUS nor MOVE (cleanup must leave the message). */
  imapsNoUidplusNoMove: basePort + 996,
  /** The other IMAP stores (test/lab/stores.ts): Dovecot in the INBOX. layout, Cyrus in its two naming modes and without UIDPLUS, Courier. */
  imapsInboxDot: basePort + 701,
  imapsCyrusAlt: basePort + 711,
  imapsCyrusTrad: basePort + 712,
  imapsCyrusNoUidplus: basePort + 713,
  imapsCourier: basePort + 721,
  /** HAProxy's public SMTP frontend (the MX as the internet sees it). */
  extSmtp: basePort + 125,
  /** HAProxy's public IMAPS frontend. */
  extImaps: basePort + 193,
  /** First of the extra HAProxy IMAPS frontends (benchmarks with many paths). */
  extImapsExtraFirst: basePort + 200,
  pushgateway: basePort + 91,
  prometheus: basePort + 90,
  fakeBrevo: basePort + 80,
  /** The real Uptime Kuma (test/lab/kuma.ts). */
  kuma: basePort + 81,
  /** The lab's DNS server (unbound), used by Rspamd alone. */
  dns: basePort + 53,
  /** Rspamd's proxy worker in milter mode: Postfix's smtpd_milters. */
  rspamdMilter: basePort + 332,
  /** Rspamd's controller (rspamc, /stat). */
  rspamdController: basePort + 334,
  /** Exim 4 (an alternative MX, test/lab/mtas.ts): stock smtpd port, no PROXY. */
  eximSmtp: basePort + 625,
  /** Exim's port that requires a PROXY header from HAProxy (hosts_proxy). */
  eximSmtpAlt: basePort + 626,
  /** OpenSMTPD 6.8 (an alternative MX): stock listener, no PROXY. */
  opensmtpdSmtp: basePort + 725,
  /** OpenSMTPD's listener with `proxy-v2`. */
  opensmtpdSmtpAlt: basePort + 726,
  /** The SpamAssassin stack (test/lab/sa-stack.ts): spamd, spamass-milter, OpenDKIM, OpenDMARC, policyd-spf. */
  spamd: basePort + 783,
  spamassMilter: basePort + 784,
  opendkim: basePort + 891,
  opendmarc: basePort + 892,
  policydSpf: basePort + 893,
  /** Where tests run `mailprobe serve`, scraped by the lab's Prometheus. */
  serveMetrics: basePort + 99,
} as const;

export const mx = {
  hostname: "mx.lab.test",
  domain: "lab.test",
} as const;

export const accounts = {
  probe: { user: "probe@lab.test", password: "lab-probe-imap-secret" },
  other: { user: "other@lab.test", password: "lab-other-imap-secret" },
  /** A recipient alias delivered into probe@lab.test (recipient ≠ login). */
  alias: "alias@lab.test",
} as const;

/** Mailboxes for the scale benchmark (bench/scale-probes.ts): one login each, like a provider's customers. */
export const scaleAccounts = Array.from({ length: 50 }, (_, i) => ({
  user: `scale${String(i + 1).padStart(2, "0")}@lab.test`,
  password: "lab-scale-imap-secret",
}));

/** The lab's token MAC key (examples/lab.yaml's default for ${MAILPROBE_TOKEN_KEY}). */
export const labTokenKey = "lab-token-key-0123456789abcdef0123456789abcdef";

export const brevo = {
  apiKey: "xkeysib-lab-0123456789abcdef-LABKEY",
  sender: "probe@sender.lab.test",
  relayHelo: "relay.brevo.lab",
  /** Brevo's own bounce domain: the envelope sender of what it relays (SPF is checked against it). */
  bounceDomain: "relay.brevo.lab",
  /** The DKIM selector of the customer's domain (the key pair is made at lab start). */
  dkimSelector: "brevo2026",
} as const;

export const kuma = {
  /** Push tokens of the lab Kuma's active push monitors. */
  tokens: ["labprobe", "labexternal", "labinternal"],
  /** A push monitor the lab creates and pauses (Kuma answers its pushes 404). */
  pausedToken: "labpaused",
} as const;

export const paths = {
  root: LAB_DIR,
  etc: join(LAB_DIR, "etc"),
  run: join(LAB_DIR, "run"),
  log: join(LAB_DIR, "log"),
  mail: join(LAB_DIR, "mail"),
  tls: join(LAB_DIR, "tls"),
  caCert: join(LAB_DIR, "tls", "ca.crt"),
  state: join(LAB_DIR, "state.json"),
  dkim: join(LAB_DIR, "dkim"),
  /** Rspamd's compiled hyperscan databases: outside LAB_DIR so that `lab down` and a new lab keep them. */
  rspamdCache: process.env.MAILPROBE_RSPAMD_CACHE ?? "/var/tmp/mailprobe-rspamd-cache",
} as const;
