// The configuration schema: one zod schema per block, each type named after its schema. The sender block is a union of the
// registered sender modules' schemas (core/sender.ts): `configSchema()` builds the whole when a config is loaded.
import { MTAS } from "../core/mta.js";
import { DEFAULT_SESSIONS_PER_USER, MAX_SESSIONS_PER_USER } from "../core/slots.js";
import * as z from "zod/mini";
import { AUTH_METHODS } from "../core/result.js";
import { senderModules, type SenderConfig } from "../core/sender.js";
import { cidr, cronExpr, email, httpUrl, int, name, port, ProxyProtocolSchema, seconds, secretPair, smtpEndpointFields, text } from "./fields.js";

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
export const AuthResultsSchema = z.strictObject({
  /** Methods that must pass; default none (report only, so an upgrade does not turn a setup red). */
  require: z._default(z.array(z.enum(AUTH_METHODS)), []),
  /** The MX's authserv-id; default the first non-wildcard entry of received.mxHosts. */
  authservId: z.optional(text()),
});

/** The spam filter's verdict for this route's messages. */
export const SpamSchema = z.strictObject({
  /** A delivered message scored above this fails with spam_score_high (default: report only). */
  maxScore: z.optional(z.number()),
});

/** The route checks every sender block accepts, besides its own fields. */
export const routeChecks = { authResults: z.optional(AuthResultsSchema), spam: z.optional(SpamSchema) };

/** One SMTP entry point the relay check tries (and whose certificate doctor and run read). */
export const RelayCheckSchema = z.strictObject({
  /** A metric label (`entry`, `listener`); `sender` is the SMTP sender route's listener. */
  name: name.check(z.meta({ not: { const: "sender" } })),
  ...smtpEndpointFields,
  /** Our own PROXY v2 header, claiming an external address (the alternate listeners). */
  proxyProtocol: z.optional(ProxyProtocolSchema),
  heloName: z._default(z.string(), "mailprobe"),
  /** MAIL FROM; default the probe's sender address. */
  mailFrom: z.optional(email),
  /** A recipient in a foreign domain: the server must refuse to relay to it. */
  rcptTo: z._default(email, "relay-test@example.invalid"),
  timeoutSeconds: seconds(10),
  /**
   * Whom the server sees connecting (the pod cannot tell after NAT): `stranger` — an outside
   * address (our own PROXY header claiming one, or a real outside vantage): an accepted relay is
   * open_relay; `lan` — the node's LAN address (the public name reached from inside the cluster
   * through NAT reflection, split-horizon DNS or hostAliases): an accepted relay is relays_for_lan.
   */
  from: z._default(z.enum(["stranger", "lan"]), "stranger"),
});

/** The discriminated union of every registered sender's config block, each with its route's `received` and checks. */
export function senderSchema(): z.ZodMiniType<SenderConfig> {
  // A module's schema may be zod's classic object or a mini one (both are $ZodObject): extended alike.
  const schemas = senderModules().map((m) => z.extend(m.schema as z.ZodMiniObject, { received: z.optional(RouteReceivedSchema), ...routeChecks }));
  if (!schemas.length) return z.never() as unknown as z.ZodMiniType<SenderConfig>;
  return z.discriminatedUnion("type", schemas as unknown as [z.ZodMiniObject, ...z.ZodMiniObject[]]) as unknown as z.ZodMiniType<SenderConfig>;
}

/** The default a field shows in the JSON Schema (applied by resolved.ts, not by the schema). */
const shows = (value: unknown) => z.meta({ default: value });

const imapFields = {
  host: text(),
  port: port().check(shows(IMAP_DEFAULTS.port)),
  security: z.enum(["tls", "starttls"]).check(shows(IMAP_DEFAULTS.security)),
  servername: z.string(),
  caFile: z.string(),
  user: text(),
  ...secretPair("password"),
  mailbox: text().check(shows(IMAP_DEFAULTS.mailbox)),
  junkMailbox: text(),
  /** Where probe messages are moved on a server without UIDPLUS but with MOVE, when no mailbox is marked SPECIAL-USE \\Trash. */
  trashMailbox: text(),
  connectTimeoutSeconds: z.number().check(z.positive(), z.maximum(600), shows(IMAP_DEFAULTS.connectTimeoutSeconds)),
  /** Poll interval while the message is expected (fast detection where IDLE lags). */
  pollIntervalMs: int(10, 60_000).check(shows(IMAP_DEFAULTS.pollIntervalMs)),
  /** How long to poll fast after the send before falling back to IDLE (or slow polls). */
  fastPollSeconds: z.number().check(z.minimum(0), z.maximum(3600), shows(IMAP_DEFAULTS.fastPollSeconds)),
  proxyProtocol: ProxyProtocolSchema,
};

/** Probe-wide IMAP defaults: every field optional, paths override. */
export const ImapDefaultsSchema = z.partial(z.strictObject(imapFields));

export const KumaSchema = z.strictObject({ ...secretPair("pushUrl"), timeoutSeconds: seconds(5, MAX_SINK_SECONDS) });

export const PathSchema = z.required(z.partial(z.strictObject({ name, ...imapFields, kuma: z.optional(KumaSchema) })), { name: true });

/** A list of at least one entry. */
const some = <T extends z.core.SomeType>(item: T) => z.array(item).check(z.minLength(1));

export const ReceivedSchema = z.strictObject({
  /** Host names our MX writes in the `by` part of its Received headers. */
  mxHosts: some(text()),
  forbiddenCidrs: z._default(z.array(cidr), []),
  expectedCidrs: z._default(z.array(cidr), []),
  /** The MX's own internal hops besides loopback: content filters that reinject from another address. */
  internalCidrs: z._default(z.array(cidr), []),
  /** The entry hop must have used TLS (`with ESMTPS`); else the path fails with entry_hop_plaintext. */
  requireTls: z._default(z.boolean(), false),
  /** The MTA that writes our MX's Received headers (default postfix): its grammar reads them, never a guess. */
  mta: z.optional(z.enum(MTAS)),
});

/**
 * A sender route's own Received rules (`sender.received`, `watchSender.received`): Brevo's relays
 * and a submission route arrive from different addresses. Each field given here replaces the
 * probe's `received` field of the same name for this route; a field left out is inherited.
 */
export const RouteReceivedSchema = z.strictObject({
  mxHosts: z.optional(some(text())),
  forbiddenCidrs: z.optional(z.array(cidr)),
  expectedCidrs: z.optional(z.array(cidr)),
  internalCidrs: z.optional(z.array(cidr)),
  requireTls: z.optional(z.boolean()),
  mta: z.optional(z.enum(MTAS)),
});

/** One probe; `sender` is the union of the registered senders (see senderSchema). */
export function probeSchema(sender: z.ZodMiniType<SenderConfig> = senderSchema()) {
  return z.strictObject({
    name,
    /** Deadline of one whole cycle: send, wait on every path, check. Cleanup gets a little more. */
    timeoutSeconds: seconds(120, 6 * 3600),
    sender,
    /** A second route for `watch --via <type>` (e.g. SMTP submission, sparing Brevo's daily quota). */
    watchSender: z.optional(sender),
    /** The address the message is sent to (may be an alias of the mailbox the paths log into). */
    to: email,
    imap: z._default(ImapDefaultsSchema, {}),
    paths: some(PathSchema),
    received: z.optional(ReceivedSchema),
    cleanup: z._default(
      z.strictObject({
        /** Probe messages older than this, left by crashed runs, are deleted by the stale sweep. */
        staleAfterSeconds: z._default(z.number().check(z.positive(), z.maximum(MAX_STALE_AFTER_SECONDS)), 3600),
        /** How far back the stale sweep looks (IMAP SINCE, days): keeps it cheap in big mailboxes. */
        sweepDays: z._default(int(1, 365), 7),
      }),
      { staleAfterSeconds: 3600, sweepDays: 7 },
    ),
    kuma: z.optional(KumaSchema),
    /** SMTP entry points that must refuse to relay (open_relay); their certificates are read too. */
    relayCheck: z.optional(z.array(RelayCheckSchema)),
    /** Cron schedule for `serve` (default every 20 minutes). */
    schedule: z.optional(cronExpr),
  });
}

/** 30 days: a larger value would silently turn the stale sweep off. */
export const MAX_STALE_AFTER_SECONDS = 30 * 86_400;

/** Basic auth for a Pushgateway behind a proxy; sent as an Authorization header, never in the URL. */
export const BasicAuthSchema = z.strictObject({ user: text(), ...secretPair("password") });

export const PushgatewaySchema = z.strictObject({
  url: httpUrl,
  basicAuth: z.optional(BasicAuthSchema),
  job: z._default(name, "mailprobe"),
  /**
   * This deployment's name, pushed as the grouping label `deployment` (e.g. the Helm release).
   * With it set, a full run deletes the groups of this job and deployment whose probe or path is
   * no longer configured; groups of other deployments sharing the gateway are never touched.
   */
  deployment: z.optional(name),
  timeoutSeconds: seconds(5, MAX_SINK_SECONDS),
});

export const ServeSchema = z.strictObject({
  /** An IP literal or `localhost` (a host name would need DNS at start-up). */
  listen: z._default(z.string(), "0.0.0.0"),
  port: z._default(int(0, 65535), 9465),
  schedule: z._default(cronExpr, "*/20 * * * *"),
  /** Run every probe once at start, so /metrics means something right after a deploy. */
  runOnStart: z._default(z.boolean(), true),
  /** POST /probe/<name> runs a probe on demand; needs a bearer token. */
  trigger: z._default(
    z.strictObject({
      enabled: z._default(z.boolean(), false),
      ...secretPair("bearerToken"),
      /** Each POST /probe/<name> spends a send (a Brevo credit): at most one per probe in this many seconds (429 otherwise). */
      minIntervalSeconds: z._default(z.number().check(z.minimum(0), z.maximum(86_400)), 60),
    }),
    { enabled: false, minIntervalSeconds: 60 },
  ),
  shutdownGraceSeconds: seconds(30, 600),
  /** Push each cycle to the pushgateway block too; false: only /metrics (scraped), or every series is reported twice. */
  push: z._default(z.boolean(), false),
});

/** The whole config schema as the registries stand now (also for JSON-schema generation). */
export function configSchema() {
  return z.strictObject({
    pushgateway: z.optional(PushgatewaySchema),
    log: z._default(z.strictObject({ level: z.optional(z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"])) }), {}),
    serve: z.optional(ServeSchema),
    /** The token MAC key: ≥ 32 bytes of a dedicated random secret (`openssl rand -hex 32`); without it the stale sweep is off. */
    ...secretPair("tokenKey"),
    /** IMAP sessions at once per login and server host, over every probe (a path past it waits); below the server's limit (Dovecot: mail_max_userip_connections, 10). */
    imapSessionsPerUser: z._default(int(1, MAX_SESSIONS_PER_USER), DEFAULT_SESSIONS_PER_USER),
    probes: some(probeSchema()),
  });
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
