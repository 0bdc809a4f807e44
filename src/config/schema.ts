// The configuration schema: one zod schema per block, each type named after its schema. The sender block is a union of the
// registered sender modules' schemas (core/sender.ts): `configSchema()` builds the whole when a config is loaded.
import { MTAS } from "../core/mta.js";
import { DEFAULT_SESSIONS_PER_USER, MAX_SESSIONS_PER_USER } from "../core/slots.js";
import * as z from "zod";
import { AUTH_METHODS } from "../core/result.js";
import { senderModules, type SenderConfig } from "../core/sender.js";
import { cidr, cronExpr, email, httpUrl, name, ProxyProtocolSchema, seconds, secretPair, smtpEndpointFields } from "./fields.js";

export { ProxyProtocolSchema, type ProxyProtocolConfig } from "./fields.js";

/** The longest a sink (Pushgateway, Kuma) may take: the sink budget is the slowest configured sink. */
export const MAX_SINK_SECONDS = 120;

/** The IMAP defaults every path gets unless it or the probe's `imap` block says otherwise. */
export const IMAP_DEFAULTS = {
  port: 993,
  security: "tls",
  mailbox: "INBOX",
  connectTimeoutSeconds: 10,
  pollIntervalMs: 20,
  fastPollSeconds: 30,
} as const;

/**
 * What the MX must have made of a message sent by this route (its Authentication-Results). Each
 * sender route carries its own: a Brevo route's DKIM requirement says nothing of an SMTP route.
 */
export const AuthResultsSchema = z
  .object({
    /** Methods that must pass; default none (report only, so an upgrade does not turn a setup red). */
    require: z.array(z.enum(AUTH_METHODS)).default([]),
    /** The MX's authserv-id; default the first non-wildcard entry of received.mxHosts. */
    authservId: z.string().min(1).optional(),
  })
  .strict();

/** The spam filter's verdict for this route's messages. */
export const SpamSchema = z
  .object({
    /** A delivered message scored above this fails with spam_score_high (default: report only). */
    maxScore: z.number().optional(),
  })
  .strict();

/** The route checks every sender block accepts, besides its own fields. */
export const routeChecks = { authResults: AuthResultsSchema.optional(), spam: SpamSchema.optional() };

/** One SMTP entry point the relay check tries (and whose certificate doctor and run read). */
export const RelayCheckSchema = z
  .object({
    /** A metric label (`entry`, `listener`); `sender` is the SMTP sender route's listener. */
    name: name.meta({ not: { const: "sender" } }),
    ...smtpEndpointFields,
    /** Our own PROXY v2 header, claiming an external address (the alternate listeners). */
    proxyProtocol: ProxyProtocolSchema.optional(),
    heloName: z.string().default("mailprobe"),
    /** MAIL FROM; default the probe's sender address. */
    mailFrom: email.optional(),
    /** A recipient in a foreign domain: the server must refuse to relay to it. */
    rcptTo: email.default("relay-test@example.invalid"),
    timeoutSeconds: seconds(10),
    /**
     * Whom the server sees connecting (the pod cannot tell after NAT): `stranger` — an outside
     * address (our own PROXY header claiming one, or a real outside vantage): an accepted relay is
     * open_relay; `lan` — the node's LAN address (the public name reached from inside the cluster
     * through NAT reflection, split-horizon DNS or hostAliases): an accepted relay is relays_for_lan.
     */
    from: z.enum(["stranger", "lan"]).default("stranger"),
  })
  .strict();

/** The discriminated union of every registered sender's config block, each with its route's `received` and checks. */
export function senderSchema(): z.ZodType<SenderConfig> {
  const schemas = senderModules().map((m) => m.schema.extend({ received: RouteReceivedSchema.optional(), ...routeChecks }));
  if (!schemas.length) return z.never() as unknown as z.ZodType<SenderConfig>;
  return z.discriminatedUnion("type", schemas as unknown as [z.ZodObject, ...z.ZodObject[]]) as unknown as z.ZodType<SenderConfig>;
}

const imapFields = {
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535).meta({ default: IMAP_DEFAULTS.port }),
  security: z.enum(["tls", "starttls"]).meta({ default: IMAP_DEFAULTS.security }),
  servername: z.string(),
  caFile: z.string(),
  user: z.string().min(1),
  ...secretPair("password"),
  mailbox: z.string().min(1).meta({ default: IMAP_DEFAULTS.mailbox }),
  junkMailbox: z.string().min(1),
  /** Where probe messages are moved on a server without UIDPLUS but with MOVE, when no mailbox is marked SPECIAL-USE \\Trash. */
  trashMailbox: z.string().min(1),
  connectTimeoutSeconds: z.number().positive().max(600).meta({ default: IMAP_DEFAULTS.connectTimeoutSeconds }),
  /** Poll interval while the message is expected (fast detection where IDLE lags). */
  pollIntervalMs: z.number().int().min(10).max(60_000).meta({ default: IMAP_DEFAULTS.pollIntervalMs }),
  /** How long to poll fast after the send before falling back to IDLE (or slow polls). */
  fastPollSeconds: z.number().min(0).max(3600).meta({ default: IMAP_DEFAULTS.fastPollSeconds }),
  proxyProtocol: ProxyProtocolSchema,
};

/** Probe-wide IMAP defaults: every field optional, paths override. */
export const ImapDefaultsSchema = z.object(imapFields).partial().strict();

export const KumaSchema = z.object({ ...secretPair("pushUrl"), timeoutSeconds: seconds(5, MAX_SINK_SECONDS) }).strict();

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
    /** The entry hop must have used TLS (`with ESMTPS`); else the path fails with entry_hop_plaintext. */
    requireTls: z.boolean().default(false),
    /** The MTA that writes our MX's Received headers (default postfix): its grammar reads them, never a guess. */
    mta: z.enum(MTAS).optional(),
  })
  .strict();

/**
 * A sender route's own Received rules (`sender.received`, `watchSender.received`): Brevo's relays
 * and a submission route arrive from different addresses. Each field given here replaces the
 * probe's `received` field of the same name for this route; a field left out is inherited.
 */
export const RouteReceivedSchema = z
  .object({
    mxHosts: z.array(z.string().min(1)).min(1).optional(),
    forbiddenCidrs: z.array(cidr).optional(),
    expectedCidrs: z.array(cidr).optional(),
    internalCidrs: z.array(cidr).optional(),
    requireTls: z.boolean().optional(),
    mta: z.enum(MTAS).optional(),
  })
  .strict();

/** One probe; `sender` is the union of the registered senders (see senderSchema). */
export function probeSchema(sender: z.ZodType<SenderConfig> = senderSchema()) {
  return z
    .object({
      name,
      /** Deadline of one whole cycle: send, wait on every path, check. Cleanup gets a little more. */
      timeoutSeconds: seconds(120, 6 * 3600),
      sender,
      /** A second route for `watch --via <type>` (e.g. SMTP submission, sparing Brevo's daily quota). */
      watchSender: sender.optional(),
      /** The address the message is sent to (may be an alias of the mailbox the paths log into). */
      to: email,
      imap: ImapDefaultsSchema.default({}),
      paths: z.array(PathSchema).min(1),
      received: ReceivedSchema.optional(),
      cleanup: z
        .object({
          /** Probe messages older than this, left by crashed runs, are deleted by the stale sweep. */
          staleAfterSeconds: z.number().positive().max(MAX_STALE_AFTER_SECONDS).default(3600),
          /** How far back the stale sweep looks (IMAP SINCE, days): keeps it cheap in big mailboxes. */
          sweepDays: z.number().int().min(1).max(365).default(7),
        })
        .strict()
        .default({ staleAfterSeconds: 3600, sweepDays: 7 }),
      kuma: KumaSchema.optional(),
      /** SMTP entry points that must refuse to relay (open_relay); their certificates are read too. */
      relayCheck: z.array(RelayCheckSchema).optional(),
      /** Cron schedule for `serve` (default every 20 minutes). */
      schedule: cronExpr.optional(),
    })
    .strict();
}

/** 30 days: a larger value would silently turn the stale sweep off. */
export const MAX_STALE_AFTER_SECONDS = 30 * 86_400;

/** Basic auth for a Pushgateway behind a proxy; sent as an Authorization header, never in the URL. */
export const BasicAuthSchema = z.object({ user: z.string().min(1), ...secretPair("password") }).strict();

export const PushgatewaySchema = z
  .object({
    url: httpUrl,
    basicAuth: BasicAuthSchema.optional(),
    job: name.default("mailprobe"),
    /**
     * This deployment's name, pushed as the grouping label `deployment` (e.g. the Helm release).
     * With it set, a full run deletes the groups of this job and deployment whose probe or path is
     * no longer configured; groups of other deployments sharing the gateway are never touched.
     */
    deployment: name.optional(),
    timeoutSeconds: seconds(5, MAX_SINK_SECONDS),
  })
  .strict();

export const ServeSchema = z
  .object({
    /** An IP literal or `localhost` (a host name would need DNS at start-up). */
    listen: z.string().default("0.0.0.0"),
    port: z.number().int().min(0).max(65535).default(9465),
    schedule: cronExpr.default("*/20 * * * *"),
    /** Run every probe once at start, so /metrics means something right after a deploy. */
    runOnStart: z.boolean().default(true),
    /** POST /probe/<name> runs a probe on demand; needs a bearer token. */
    trigger: z
      .object({
        enabled: z.boolean().default(false),
        ...secretPair("bearerToken"),
        /** Each POST /probe/<name> spends a send (a Brevo credit): at most one per probe in this many seconds (429 otherwise). */
        minIntervalSeconds: z.number().min(0).max(86_400).default(60),
      })
      .strict()
      .default({ enabled: false, minIntervalSeconds: 60 }),
    shutdownGraceSeconds: seconds(30, 600),
    /** Push each cycle to the pushgateway block too; false: only /metrics (scraped), or every series is reported twice. */
    push: z.boolean().default(false),
  })
  .strict();

/** The whole config schema as the registries stand now (also for JSON-schema generation). */
export function configSchema() {
  return z
    .object({
      pushgateway: PushgatewaySchema.optional(),
      log: z
        .object({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional() })
        .strict()
        .default({}),
      serve: ServeSchema.optional(),
      /** The token MAC key: ≥ 32 bytes of a dedicated random secret (`openssl rand -hex 32`); without it the stale sweep is off. */
      ...secretPair("tokenKey"),
      /** IMAP sessions at once per login and server host, over every probe (a path past it waits); below the server's limit (Dovecot: mail_max_userip_connections, 10). */
      imapSessionsPerUser: z.number().int().min(1).max(MAX_SESSIONS_PER_USER).default(DEFAULT_SESSIONS_PER_USER),
      probes: z.array(probeSchema()).min(1),
    })
    .strict();
}

export type Config = z.infer<ReturnType<typeof configSchema>>;
export type ProbeConfig = z.infer<ReturnType<typeof probeSchema>>;
export type { SenderConfig };
export type PathConfig = z.infer<typeof PathSchema>;
export type ImapDefaults = z.infer<typeof ImapDefaultsSchema>;
export type ReceivedConfig = z.infer<typeof ReceivedSchema>;
export type AuthResultsConfig = z.infer<typeof AuthResultsSchema>;
export type SpamConfig = z.infer<typeof SpamSchema>;
export type RelayCheckConfig = z.infer<typeof RelayCheckSchema>;
export type RouteReceivedConfig = z.infer<typeof RouteReceivedSchema>;
export type KumaConfig = z.infer<typeof KumaSchema>;
export type ServeConfig = z.infer<typeof ServeSchema>;
