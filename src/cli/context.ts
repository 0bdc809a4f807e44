import type { LoadedConfig, ResolvedProbe } from "../config/load.js";
import type { Logger } from "../log.js";

/** What every command gets: the loaded config, output channels (already redacting), the abort signal. */
export interface CommandContext {
  config: LoadedConfig;
  log: Logger;
  json: boolean;
  color: boolean;
  /** Whether stdout is a terminal. */
  tty: boolean;
  /** The probes this command works on: those named with --probe, else all (never empty). */
  probes: ResolvedProbe[];
  args: Record<string, string | boolean | string[] | undefined>;
  stdout: (text: string) => void;
  /** The redaction stdout applies, for output that goes elsewhere (an HTTP answer). */
  stdoutRedact: (text: string) => string;
  stderr: (text: string) => void;
  /** Aborts on SIGTERM/SIGINT. */
  signal: AbortSignal;
  version: string;
  /**
   * Reads the config file and its secret files again (throws ConfigError); the output redaction
   * learns the secrets it holds. serve calls it at the start of every cycle.
   */
  reloadConfig: () => LoadedConfig;
  /** The environment main was given (process.env unless a caller passed one). */
  env: NodeJS.ProcessEnv;
}
