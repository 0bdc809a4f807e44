// Metric names and their meaning, in one place: the dashboard, the alert rules and the Helm chart
// depend on them. One function writes a result into gauges, for a Pushgateway push (fresh registry
// per push) and for `serve`'s /metrics (a long-lived registry) alike.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { DIAGNOSES, REASON_CODES, type Diagnosis } from "../core/reasons.js";
import { AUTH_METHODS, type ProbeResult } from "../core/result.js";
import { VERSION } from "../version.js";

export const METRICS = {
  success: {
    name: "mailprobe_success",
    help: "1 if the last run saw the probe message on this path and every check passed, else 0.",
    labelNames: ["probe", "path"],
  },
  runSuccess: { name: "mailprobe_run_success", help: "1 if every path of the probe was healthy in the last run, else 0.", labelNames: ["probe"] },
  roundtrip: {
    name: "mailprobe_roundtrip_seconds",
    help: "Send start to the message seen on this path, last run (absent when not seen).",
    labelNames: ["probe", "path"],
  },
  imapOpen: { name: "mailprobe_imap_open_seconds", help: "IMAP connect, login and select on this path, last run.", labelNames: ["probe", "path"] },
  stage: {
    name: "mailprobe_stage_seconds",
    help: "The last run's roundtrip on this path in stages: send, upstream (sender's queue), mx (entry hop's Received date to seen, 1 s resolution), seen.",
    labelNames: ["probe", "path", "stage"],
  },
  send: { name: "mailprobe_send_seconds", help: "Time the sender took to accept the message (with retries), last run.", labelNames: ["probe"] },
  realIpOk: {
    name: "mailprobe_real_client_ip_ok",
    help: "1 if the entry Received header names an allowed client IP (PROXY worked), 0 if not; absent when no message was seen.",
    labelNames: ["probe"],
  },
  lastRun: { name: "mailprobe_last_run_timestamp_seconds", help: "Unix time the last run finished.", labelNames: ["probe"] },
  lastSuccess: { name: "mailprobe_last_success_timestamp_seconds", help: "Unix time of the last healthy run on this path.", labelNames: ["probe", "path"] },
  failureReason: {
    name: "mailprobe_failure_reason",
    help: "1 for the reason the path failed in the last run, 0 for every other known reason.",
    labelNames: ["probe", "path", "reason"],
  },
  diagnosis: {
    name: "mailprobe_upstream_diagnosis",
    help: "1 for what the sender's event log said of an undelivered message in the last run, 0 for the others.",
    labelNames: ["probe", "diagnosis"],
  },
  tlsExpiry: {
    name: "mailprobe_tls_cert_expiry_timestamp_seconds",
    help: "Unix time the IMAP server certificate of this path expires.",
    labelNames: ["probe", "path"],
  },
  authResult: {
    name: "mailprobe_auth_result",
    help: "1 if the MX's own Authentication-Results says pass for this method, 0 otherwise (also when absent or `none`); required is the route's authResults.require.",
    labelNames: ["probe", "path", "method", "required"],
  },
  spamScore: {
    name: "mailprobe_spam_score",
    help: "The MX filter's spam score of the probe message (X-Spam-Status / X-Spamd-Result), last run; absent when the filter wrote none.",
    labelNames: ["probe", "path"],
  },
  openRelay: {
    name: "mailprobe_open_relay",
    help: "1 if this SMTP entry point accepted an unauthenticated RCPT to a foreign domain in the last run, 0 if it refused; absent when the check could not run.",
    labelNames: ["probe", "entry"],
  },
  relaysForLan: {
    name: "mailprobe_relays_for_lan",
    help: "1 if this `from: lan` relayCheck entry (the server sees the node's LAN address) accepted an unauthenticated RCPT to a foreign domain in the last run, 0 if it refused; absent when the check could not run.",
    labelNames: ["probe", "entry"],
  },
  relayCheckOk: {
    name: "mailprobe_relay_check_ok",
    help: "1 if this relayCheck entry's check completed in the last run (the RCPT was refused or accepted), 0 if it could not (connection, TLS handshake — an expired or untrusted certificate —, timeout, a 4xx or refused MAIL).",
    labelNames: ["probe", "entry"],
  },
  smtpTlsExpiry: {
    name: "mailprobe_smtp_tls_cert_expiry_timestamp_seconds",
    help: "Unix time the certificate served by this SMTP listener (a relayCheck entry, or `sender`: the route's SMTP submission listener) expires.",
    labelNames: ["probe", "listener"],
  },
  leftBehind: {
    name: "mailprobe_messages_left_behind",
    help: "Stale probe messages the last run's sweep saw in this path's mailbox but did not remove (no UIDPLUS/MOVE, a failed delete, or no tokenKey to prove them ours); 0 when none; counted once per mailbox, on its first path.",
    labelNames: ["probe", "path"],
  },
  runDuration: { name: "mailprobe_run_duration_seconds", help: "Wall time of the last run, cleanup included.", labelNames: ["probe"] },
  brevoCredits: {
    name: "mailprobe_brevo_credits_remaining",
    help: "Brevo's remaining send credits, read by the last run (the sender with credits to show); absent when not read.",
    labelNames: ["probe"],
  },
  buildInfo: { name: "mailprobe_build_info", help: "Always 1; the version label says which mailprobe ran.", labelNames: ["version"] },
  // serve only
  roundtripHistogram: {
    name: "mailprobe_roundtrip_duration_seconds",
    help: "Send start to the message seen, per path, over all runs of this process.",
    labelNames: ["probe", "path"],
  },
  runs: {
    name: "mailprobe_runs_total",
    help: "Runs per path by result (success, failure) since the process started.",
    labelNames: ["probe", "path", "result"],
  },
  overruns: { name: "mailprobe_overruns_total", help: "Scheduled runs skipped because the previous run of the probe was still going.", labelNames: ["probe"] },
  cycleStuck: {
    name: "mailprobe_cycle_stuck",
    help: "serve: 1 while a cycle of the probe runs past its bound (timeout + cleanup budget + sink budget + 1 s), a bug; else 0.",
    labelNames: ["probe"],
  },
} as const;

type GaugeKey = Exclude<keyof typeof METRICS, "roundtripHistogram" | "runs" | "overruns" | "lastSuccess" | "cycleStuck">;

export type RunGauges = { [K in GaugeKey]: Gauge<string> } & {
  /** The series each probe's last run wrote, so the next run can drop those it does not repeat. */
  written: Map<string, [Gauge<string>, Record<string, string>][]>;
};

export function createRunGauges(registry: Registry): RunGauges {
  const g = (k: GaugeKey) => new Gauge({ ...METRICS[k], labelNames: [...METRICS[k].labelNames], registers: [registry] });
  const gauges = {
    success: g("success"),
    runSuccess: g("runSuccess"),
    roundtrip: g("roundtrip"),
    imapOpen: g("imapOpen"),
    stage: g("stage"),
    send: g("send"),
    realIpOk: g("realIpOk"),
    lastRun: g("lastRun"),
    failureReason: g("failureReason"),
    diagnosis: g("diagnosis"),
    tlsExpiry: g("tlsExpiry"),
    authResult: g("authResult"),
    spamScore: g("spamScore"),
    openRelay: g("openRelay"),
    relaysForLan: g("relaysForLan"),
    relayCheckOk: g("relayCheckOk"),
    smtpTlsExpiry: g("smtpTlsExpiry"),
    runDuration: g("runDuration"),
    leftBehind: g("leftBehind"),
    brevoCredits: g("brevoCredits"),
    buildInfo: g("buildInfo"),
    written: new Map(),
  };
  gauges.buildInfo.set({ version: VERSION }, 1);
  return gauges;
}

export function createLastSuccessGauge(registry: Registry): Gauge<string> {
  return new Gauge({ ...METRICS.lastSuccess, labelNames: [...METRICS.lastSuccess.labelNames], registers: [registry] });
}

/** Writes one probe's result into the gauges, replacing what the previous run of it left. */
export function recordRun(g: RunGauges, r: ProbeResult, nowSeconds: number): void {
  const probe = r.probe;
  // Drop this probe's series from the last run (a path that was seen then may not be now).
  for (const [gauge, labels] of g.written.get(probe) ?? []) gauge.remove(labels);
  const written: [Gauge<string>, Record<string, string>][] = [];
  g.written.set(probe, written);
  const set = (gauge: Gauge<string>, labels: Record<string, string>, value: number) => {
    gauge.set(labels, value);
    written.push([gauge, labels]);
  };
  set(g.runSuccess, { probe }, r.ok ? 1 : 0);
  set(g.lastRun, { probe }, nowSeconds);
  set(g.runDuration, { probe }, r.durationSeconds);
  if (r.send.seconds !== undefined) set(g.send, { probe }, r.send.seconds);
  if (r.send.credits !== undefined) set(g.brevoCredits, { probe }, r.send.credits);
  if (r.realIpOk !== undefined) set(g.realIpOk, { probe }, r.realIpOk ? 1 : 0);
  for (const d of Object.keys(DIAGNOSES) as Diagnosis[]) set(g.diagnosis, { probe, diagnosis: d }, r.diagnosis?.code === d ? 1 : 0);
  for (const p of r.paths) {
    const labels = { probe, path: p.name };
    set(g.success, labels, p.ok ? 1 : 0);
    if (p.roundtripSeconds !== undefined) set(g.roundtrip, labels, p.roundtripSeconds);
    if (p.openSeconds !== undefined) set(g.imapOpen, labels, p.openSeconds);
    for (const [stage, v] of Object.entries(p.stages ?? {})) if (v !== undefined) set(g.stage, { ...labels, stage }, v);
    // Only paths whose session opened took part in the sweep; a deduplicated path (same mailbox) writes 0.
    if (p.cleanup) set(g.leftBehind, labels, p.leftBehind ?? 0);
    if (p.tlsCertNotAfter) set(g.tlsExpiry, labels, Math.floor(Date.parse(p.tlsCertNotAfter) / 1000));
    for (const reason of REASON_CODES) set(g.failureReason, { ...labels, reason }, p.reason === reason ? 1 : 0);
    const ar = p.authResults;
    if (ar) {
      const required = new Set(r.authRequire ?? []);
      for (const method of AUTH_METHODS)
        set(g.authResult, { ...labels, method, required: String(required.has(method)) }, ar[method]?.result === "pass" ? 1 : 0);
    }
    if (p.spam) set(g.spamScore, labels, p.spam.score);
  }
  for (const x of r.relay ?? []) {
    const settled = x.state === "open" || x.state === "refused";
    if (settled) set(x.from === "lan" ? g.relaysForLan : g.openRelay, { probe, entry: x.entry }, x.state === "open" ? 1 : 0);
    set(g.relayCheckOk, { probe, entry: x.entry }, settled ? 1 : 0);
    if (x.certNotAfter) set(g.smtpTlsExpiry, { probe, listener: x.entry }, Math.floor(Date.parse(x.certNotAfter) / 1000));
  }
  for (const c of r.smtpCerts ?? []) set(g.smtpTlsExpiry, { probe, listener: c.listener }, Math.floor(Date.parse(c.notAfter) / 1000));
}

/** Roundtrip histogram buckets (seconds): loopback to a slow relay. */
export const ROUNDTRIP_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300];

/** `serve`'s long-lived metrics: the run gauges, last success, the roundtrip histogram, run and overrun counters, process metrics. */
export interface ServeMetrics {
  registry: Registry;
  /** Writes a finished run (gauges, counters, histogram). */
  record(r: ProbeResult, nowSeconds: number): void;
  overrun(probe: string): void;
  /** Sets mailprobe_cycle_stuck of a probe. */
  stuck(probe: string, on: boolean): void;
}

/** Creates serve's registry with a zero for every series known in advance (each probe's paths). */
export function createServeMetrics(probes: { name: string; paths: { name: string }[] }[]): ServeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const gauges = createRunGauges(registry);
  const lastSuccess = createLastSuccessGauge(registry);
  const histogram = new Histogram({
    ...METRICS.roundtripHistogram,
    labelNames: [...METRICS.roundtripHistogram.labelNames],
    buckets: ROUNDTRIP_BUCKETS,
    registers: [registry],
  });
  const runs = new Counter({ ...METRICS.runs, labelNames: [...METRICS.runs.labelNames], registers: [registry] });
  const overruns = new Counter({ ...METRICS.overruns, labelNames: [...METRICS.overruns.labelNames], registers: [registry] });
  const stuck = new Gauge({ ...METRICS.cycleStuck, labelNames: [...METRICS.cycleStuck.labelNames], registers: [registry] });
  for (const p of probes) {
    overruns.inc({ probe: p.name }, 0);
    stuck.set({ probe: p.name }, 0);
    for (const path of p.paths) for (const result of ["success", "failure"]) runs.inc({ probe: p.name, path: path.name, result }, 0);
  }
  return {
    registry,
    record(r, now) {
      recordRun(gauges, r, now);
      for (const p of r.paths) {
        runs.inc({ probe: r.probe, path: p.name, result: p.ok ? "success" : "failure" });
        if (p.roundtripSeconds !== undefined) histogram.observe({ probe: r.probe, path: p.name }, p.roundtripSeconds);
        if (p.ok) lastSuccess.set({ probe: r.probe, path: p.name }, now);
      }
    },
    overrun: (probe) => overruns.inc({ probe }),
    stuck: (probe, on) => stuck.set({ probe }, on ? 1 : 0),
  };
}
