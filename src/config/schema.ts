// The configuration schema: one zod schema per block, each type named after its schema.
import ipaddr from "ipaddr.js";
import cron from "node-cron";
import { z } from "zod";

const seconds = (def: number) => z.number().positive().max(86_400).default(def);

const cidr = z.string().refine(
  (v) => {
    try {
      ipaddr.parseCIDR(v);
      return true;
    } catch {
      return false;
    }
  },
  { message: "not a CIDR range" },
);

const httpUrl = z.string().refine(
  (v) => {
    try {
      const u = new URL(v);
      return u.protocol === "http:" || u.protocol === "https:";
    } catch {
      return false;
    }
  },
  { message: "not an http(s) URL" },
);

const name = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, { message: "must be lower-case letters, digits, '_' or '-' (it becomes a metric label)" });

const cronExpr = z.string().refine((v) => cron.validate(v), { message: "not a cron expression (5 fields, or 6 with seconds)" });

const email = z.string().regex(/^[^\s@<>]+@[^\s@<>]+$/, { message: "not an e-mail address" });

/** A secret is given inline (often as ${ENV}) or as a file path (Kubernetes secret mounts). */
function secretPair<K extends string>(key: K) {
  return { [key]: z.string().min(1).optional(), [`${key}File`]: z.string().min(1).optional() } as {
    [P in K | `${K}File`]: z.ZodOptional<z.ZodString>;
  };
}

export const ProxyProtocolSchema = z
  .object({
    /** The client address the PROXY v2 header claims. */
    sourceAddress: z.string().refine((v) => ipaddr.isValid(v), { message: "not an IP address" }),
    sourcePort: z.number().int().min(1).max(65535).default(40000),
  })
  .strict();

export const BrevoSenderSchema = z
  .object({
    type: z.literal("brevo"),
    ...secretPair("apiKey"),
    baseUrl: httpUrl.default("https://api.brevo.com/v3"),
    from: email,
    fromName: z.string().default("mailprobe"),
    timeoutSeconds: seconds(10),
    /** Remove the recipient from Brevo's blocklist before sending (it drops mail to blocked ones). */
    unblockRecipient: z.boolean().default(true),
    /** Ask Brevo's event log what happened when no path saw the message. */
    diagnose: z.boolean().default(true),
  })
  .strict();

export const SmtpSenderSchema = z
  .object({
    type: z.literal("smtp"),
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535),
    security: z.enum(["tls", "starttls", "none"]).default("starttls"),
    servername: z.string().optional(),
    caFile: z.string().optional(),
    localAddress: z.string().optional(),
    heloName: z.string().default("mailprobe"),
    user: z.string().optional(),
    ...secretPair("password"),
    from: email,
    timeoutSeconds: seconds(10),
    proxyProtocol: ProxyProtocolSchema.optional(),
  })
  .strict();

export const SenderSchema = z.discriminatedUnion("type", [BrevoSenderSchema, SmtpSenderSchema]);

const imapFields = {
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  security: z.enum(["tls", "starttls"]),
  servername: z.string(),
  caFile: z.string(),
  user: z.string().min(1),
  ...secretPair("password"),
  mailbox: z.string().min(1),
  junkMailbox: z.string().min(1),
  connectTimeoutSeconds: z.number().positive().max(600),
  /** Poll interval while the message is expected (fast detection where IDLE lags). */
  pollIntervalMs: z.number().int().min(10).max(60_000),
  /** How long to poll fast after the send before falling back to IDLE (or slow polls). */
  fastPollSeconds: z.number().min(0).max(3600),
  proxyProtocol: ProxyProtocolSchema,
};

/** Probe-wide IMAP defaults: every field optional, paths override. */
export const ImapDefaultsSchema = z.object(imapFields).partial().strict();

export const KumaSchema = z.object({ ...secretPair("pushUrl"), timeoutSeconds: seconds(5) }).strict();

export const PathSchema = z
  .object({ name, ...imapFields, kuma: KumaSchema.optional() })
  .partial()
  .required({ name: true })
  .strict();

export const ReceivedSchema = z
  .object({
    /** Host names our MX writes in the `by` part of its Received headers. */
    mxHosts: z.array(z.string().min(1)).min(1),
    forbiddenCidrs: z.array(cidr).default([]),
    expectedCidrs: z.array(cidr).default([]),
    /** The MX's own internal hops besides loopback: content filters that reinject from another address. */
    internalCidrs: z.array(cidr).default([]),
  })
  .strict();

export const ProbeSchema = z
  .object({
    name,
    /** Deadline of one whole cycle: send, wait on every path, check. Cleanup gets a little more. */
    timeoutSeconds: seconds(120),
    sender: SenderSchema,
    /** A second route for `watch --via <type>` (e.g. SMTP submission, sparing Brevo's daily quota). */
    watchSender: SenderSchema.optional(),
    /** The address the message is sent to (may be an alias of the mailbox the paths log into). */
    to: email,
    imap: ImapDefaultsSchema.default({}),
    paths: z.array(PathSchema).min(1),
    received: ReceivedSchema.optional(),
    cleanup: z
      .object({
        /** Probe messages older than this, left by crashed runs, are deleted by the stale sweep. */
        staleAfterSeconds: z.number().positive().default(3600),
        /** How far back the stale sweep looks (IMAP SINCE, days): keeps it cheap in big mailboxes. */
        sweepDays: z.number().int().min(1).max(365).default(7),
      })
      .strict()
      .default({ staleAfterSeconds: 3600, sweepDays: 7 }),
    kuma: KumaSchema.optional(),
    /** Cron schedule for `serve` (default every 20 minutes). */
    schedule: cronExpr.optional(),
  })
  .strict();

export const PushgatewaySchema = z
  .object({
    url: httpUrl,
    job: name.default("mailprobe"),
    timeoutSeconds: seconds(5),
  })
  .strict();

export const ServeSchema = z
  .object({
    listen: z.string().default("0.0.0.0"),
    port: z.number().int().min(0).max(65535).default(9465),
    schedule: cronExpr.default("*/20 * * * *"),
    /** POST /probe/<name> runs a probe on demand; needs a bearer token. */
    trigger: z
      .object({ enabled: z.boolean().default(false), ...secretPair("bearerToken") })
      .strict()
      .default({ enabled: false }),
    shutdownGraceSeconds: seconds(30),
  })
  .strict();

export const ConfigSchema = z
  .object({
    pushgateway: PushgatewaySchema.optional(),
    log: z
      .object({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional() })
      .strict()
      .default({}),
    serve: ServeSchema.optional(),
    probes: z.array(ProbeSchema).min(1),
  })
  .strict();

export type Config = z.infer<typeof ConfigSchema>;
export type ProbeConfig = z.infer<typeof ProbeSchema>;
export type SenderConfig = z.infer<typeof SenderSchema>;
export type BrevoSenderConfig = z.infer<typeof BrevoSenderSchema>;
export type SmtpSenderConfig = z.infer<typeof SmtpSenderSchema>;
export type PathConfig = z.infer<typeof PathSchema>;
export type ImapDefaults = z.infer<typeof ImapDefaultsSchema>;
export type ReceivedConfig = z.infer<typeof ReceivedSchema>;
export type KumaConfig = z.infer<typeof KumaSchema>;
export type ProxyProtocolConfig = z.infer<typeof ProxyProtocolSchema>;
