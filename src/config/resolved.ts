// The resolved shapes: what loading makes of the parsed config. They differ from the parsed ones
// only where loading changes a value: secrets read, CA files read, defaults merged into each path,
// seconds turned into milliseconds, a route's Received rules merged with the probe's.
import type { SenderConfig } from "../core/sender.js";
import type {
  AuthResultsConfig,
  Config,
  PathConfig,
  ProbeConfig,
  ProxyProtocolConfig,
  ReceivedConfig,
  RelayCheckConfig,
  ServeConfig,
  SpamConfig,
} from "./schema.js";

/** A Kuma block with its push URL resolved. */
export type ResolvedKuma = { pushUrl: string; timeoutMs: number };

type ImapPart = Required<Pick<PathConfig, "host" | "port" | "security" | "user" | "mailbox">> &
  Pick<PathConfig, "servername" | "junkMailbox" | "trashMailbox" | "pollIntervalMs" | "name"> & { proxyProtocol?: ProxyProtocolConfig };

/** One IMAP path: the probe's `imap` defaults and IMAP_DEFAULTS merged in, secrets and CA read. */
export type ResolvedPath = ImapPart & {
  pollIntervalMs: number;
  ca?: string;
  password: string;
  connectTimeoutMs: number;
  fastPollMs: number;
  kuma?: ResolvedKuma;
};

/** What the MX must make of this route's messages (config/schema.ts routeChecks), resolved. */
export interface RouteChecks {
  authResults?: AuthResultsConfig & { authservId: string };
  spam?: SpamConfig;
}

/** A sender block as its module resolved it (core/sender.ts), with its route checks and the route's effective Received rules. */
export type ResolvedSender = SenderConfig & RouteChecks & { received?: ReceivedConfig };

/** One relay-check entry point, its CA read and MAIL FROM filled in. */
export type ResolvedRelayCheck = Omit<RelayCheckConfig, "timeoutSeconds" | "mailFrom"> & { mailFrom: string; ca?: string; timeoutMs: number };

export type ResolvedProbe = Pick<ProbeConfig, "name" | "to" | "received" | "schedule"> & {
  timeoutMs: number;
  sender: ResolvedSender;
  /** `watch --via`: a second route (e.g. SMTP) that spares the main sender's quota. */
  watchSender?: ResolvedSender;
  paths: ResolvedPath[];
  staleAfterMs: number;
  sweepDays: number;
  kuma?: ResolvedKuma;
  relayCheck: ResolvedRelayCheck[];
  /** The top-level token MAC key (a secret); absent: the stale sweep is off and every result says so. */
  tokenKey?: string;
};

/** The serve block resolved (config/load.ts serveSettings). */
export interface ServeSettings {
  listen: ServeConfig["listen"];
  port: number;
  schedule: ServeConfig["schedule"];
  runOnStart: boolean;
  trigger: { enabled: boolean; bearerToken?: string; minIntervalMs: number };
  shutdownGraceMs: number;
  /** Whether serve pushes to the Pushgateway too (otherwise it only serves /metrics). */
  push: boolean;
}

export interface LoadedConfig {
  file?: string;
  pushgateway?: { url: string; job: string; deployment?: string; timeoutMs: number; basicAuth?: { user: string; password: string } };
  logLevel?: Config["log"]["level"];
  serve?: ServeSettings;
  probes: ResolvedProbe[];
  /** The IMAP session cap per login and server host, for the whole process (core/slots.ts). */
  imapSessionsPerUser: number;
  /** Every secret value the config holds, for redaction of anything printed. */
  secrets: string[];
}
