// mailprobe: argv → command → exit code (0 healthy, 1 probe failed, 2 usage or configuration error).
import { AbortedError } from "../core/deadline.js";
import { VERSION } from "../version.js";
import type { Logger } from "../log.js";
import { parseArgv, type Parsed } from "./args.js";
import { commandHelp, COMMANDS, synopsis, usage } from "./commands.js";
import { writeStdoutSync } from "./stdout-sync.js";

/** Where the CLI reads and writes: the process by default; a test or an embedding program may pass its own. */
export interface CliIo {
  env?: NodeJS.ProcessEnv;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  /** Whether stdout is a terminal (live views, colour). */
  isTTY?: boolean;
  /** Handed the config's redactor once it exists (bin.ts's crash handlers print through it). */
  onRedactor?: (redact: (text: string) => string) => void;
}

/** The built-ins registered and the config loaded; a ConfigError is reported (JSON too with --json) as exit code 2. */
async function loadOrReport(file: string, env: NodeJS.ProcessEnv, json: boolean, out: (t: string) => void, err: (t: string) => void) {
  const [{ ConfigError, loadConfig }, { builtins }] = await Promise.all([import("../config/load.js"), import("../builtins.js")]);
  builtins();
  try {
    return loadConfig(file, env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (json) out(JSON.stringify({ ok: false, exitCode: 2, error: "config", file: e.file, issues: e.issues }, null, 2) + "\n");
    err(`mailprobe: ${e.message}\n`);
    return 2;
  }
}

/** The exit code of an invocation that runs no command: --version, --help, or a usage error. */
function answerWithoutCommand(parsed: Exclude<Parsed, { kind: "command" }>, argv: string[], out: (t: string) => void, err: (t: string) => void): number {
  switch (parsed.kind) {
    case "version":
      out(`${VERSION}\n`);
      return 0;
    case "help":
      // `mailprobe` alone is a usage error; asking for help is not.
      if (!parsed.command && !argv.some((a) => a === "help" || a === "--help" || a === "-h")) {
        err(usage(VERSION));
        return 2;
      }
      out(parsed.command ? commandHelp(parsed.command) : usage(VERSION));
      return 0;
    case "error":
      err(
        `mailprobe${parsed.command ? ` ${parsed.command}` : ""}: ${parsed.message}\n${parsed.command ? `${synopsis(parsed.command)} (mailprobe help ${parsed.command})` : "usage: mailprobe <command> [options] (mailprobe --help)"}\n`,
      );
      return 2;
  }
}

/** Runs `run` with SIGTERM and SIGINT turned into an abort of its signal, for as long as it runs. */
async function withStopSignals(log: Logger, run: (signal: AbortSignal) => Promise<number>): Promise<number> {
  const ctl = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (ctl.signal.aborted) return;
    log.info({ signal: sig }, "stopping");
    ctl.abort(new AbortedError(`received ${sig}`));
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    return await run(ctl.signal);
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}

export async function main(argv: string[], io: CliIo = {}): Promise<number> {
  const env = io.env ?? process.env;
  const out = io.stdout ?? ((t: string) => void process.stdout.write(t));
  const err = io.stderr ?? ((t: string) => void process.stderr.write(t));
  const parsed = parseArgv(argv);
  if (parsed.kind !== "command") return answerWithoutCommand(parsed, argv, io.stdout ?? writeStdoutSync, err);
  const { command: name, values } = parsed;
  const file = (values.config as string | undefined) ?? env.MAILPROBE_CONFIG;
  if (!file) {
    err("mailprobe: no config: give --config FILE or set MAILPROBE_CONFIG\n");
    return 2;
  }
  // Loaded only now: --help, --version and usage errors need none of it (docs/benchmarks.md).
  const [config, { envLogLevel, debugging, silentLogger }, { learningRedactor }, { loadConfig }] = await Promise.all([
    loadOrReport(file, env, Boolean(values.json), out, err),
    import("../log-levels.js"),
    import("../redact.js"),
    import("../config/load.js"),
  ]);
  if (typeof config === "number") return config;
  // They learn the secrets of every reload (serve re-reads rotated secret files) and keep the old ones.
  const redact = learningRedactor(config.secrets);
  const redactJson = learningRedactor(config.secrets, { json: true });
  const reloadConfig = () => {
    const fresh = loadConfig(file, env);
    redact.learn(fresh.secrets);
    redactJson.learn(fresh.secrets);
    return fresh;
  };
  io.onRedactor?.(redact);
  const tty = io.isTTY ?? Boolean(process.stdout.isTTY);
  const interactive = tty && !values.json;
  // The config's log.level is the place for the level; MAILPROBE_LOG_LEVEL overrides it (a debug session) and is checked alike.
  const envLevel = envLogLevel(env.MAILPROBE_LOG_LEVEL);
  if (envLevel.error) return (err(`mailprobe: ${envLevel.error}\n`), 2);
  const level = envLevel.level ?? config.logLevel ?? (interactive ? "warn" : "info");
  const log = COMMANDS[name]!.logs === false && !debugging(level) ? silentLogger() : (await import("../log.js")).createLogger({ level, redact, redactJson });

  // (\`performance\` loads perf_hooks: only when the line is written.)
  if (log.isLevelEnabled("debug")) log.debug({ msSinceStart: Math.round(performance.now()) }, "config loaded");
  const only = (values.probe as string[] | undefined) ?? [];
  const probes = config.probes.filter((p) => !only.length || only.includes(p.name));
  if (!probes.length) {
    err(`mailprobe: no probe named ${only.join(", ")} in ${config.file}\n`);
    return 2;
  }
  return withStopSignals(log, async (signal) => {
    const command = await COMMANDS[name]!.load();
    return command({
      config,
      log,
      json: Boolean(values.json),
      color: interactive && !env.NO_COLOR,
      tty,
      probes,
      args: values,
      stdout: (t) => out((values.json ? redactJson : redact)(t)),
      stdoutRedact: redact,
      stderr: (t) => err(redact(t)),
      signal,
      version: VERSION,
      reloadConfig,
      env,
    });
  });
}
