// mailprobe: argv → command → exit code (0 healthy, 1 probe failed, 2 usage or configuration error).
import { parseArgs } from "node:util";
import { AbortedError } from "../core/deadline.js";
import { senderTypeList } from "../core/sender.js";
import { VERSION } from "../version.js";
import type { CommandContext } from "./context.js";

const usage = () => `mailprobe ${VERSION}: end-to-end mail-path probe and Prometheus exporter

usage: mailprobe <command> [--config FILE] [--json] [options]

commands:
  run      run every probe once, report, exit 0 (all paths healthy) or 1
  serve    run probes on a schedule and serve /metrics, /healthz, /readyz
  watch    repeat the probe for a cutover, live view per path (--every 30s)
  doctor   check paths, sender and sinks without sending mail

options:
  --config FILE   the YAML config (default: $MAILPROBE_CONFIG)
  --json          machine-readable output on stdout
  --probe NAME    only this probe (repeatable)
  --every DUR     watch: interval between runs (e.g. 30s, 2m)
  --count N       watch: stop after N cycles (default: until Ctrl-C)
  --via TYPE      watch: send through the probe's ${senderTypeList(false)} route (probes[].watchSender)
  --force         watch: allow an interval that would exhaust Brevo's credits within the hour
  -h, --help      this text
  -v, --version   the version

exit codes: 0 all paths healthy, 1 a probe or check failed, 2 usage or configuration error
`;

type Command = (ctx: CommandContext) => Promise<number>;

const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import("./commands/run.js")).runCommand,
  serve: async () => (await import("./commands/serve.js")).serveCommand,
  watch: async () => (await import("./commands/watch.js")).watchCommand,
  doctor: async () => (await import("./commands/doctor.js")).doctorCommand,
};

/** Where the CLI reads and writes: the process by default; a test or an embedding program may pass its own. */
export interface CliIo {
  env?: NodeJS.ProcessEnv;
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  /** Whether stdout is a terminal (live views, colour). */
  isTTY?: boolean;
}

export async function main(argv: string[], io: CliIo = {}): Promise<number> {
  const env = io.env ?? process.env;
  const out = io.stdout ?? ((t: string) => void process.stdout.write(t));
  const err = io.stderr ?? ((t: string) => void process.stderr.write(t));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string", short: "c" },
        json: { type: "boolean" },
        probe: { type: "string", multiple: true },
        every: { type: "string" },
        force: { type: "boolean" },
        count: { type: "string" },
        via: { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "v" },
      },
    });
  } catch (e) {
    err(`mailprobe: ${(e as Error).message}\n\n${usage()}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    out(`${VERSION}\n`);
    return 0;
  }
  const name = positionals[0];
  if (values.help || !name) {
    (values.help ? out : err)(usage());
    return values.help ? 0 : 2;
  }
  const load = COMMANDS[name];
  if (!load || positionals.length > 1) {
    err(`mailprobe: unknown command ${positionals.join(" ")}\n\n${usage()}`);
    return 2;
  }
  const file = values.config ?? env.MAILPROBE_CONFIG;
  if (!file) {
    err("mailprobe: no config: give --config FILE or set MAILPROBE_CONFIG\n");
    return 2;
  }
  // Loaded only now: --help, --version and usage errors need none of it (docs/benchmarks.md).
  const [{ ConfigError, loadConfig }, { createLogger }, { makeRedactor }] = await Promise.all([
    import("../config/load.js"),
    import("../log.js"),
    import("../redact.js"),
  ]);
  let config;
  try {
    config = loadConfig(file, env);
  } catch (e) {
    if (e instanceof ConfigError) {
      if (values.json) out(JSON.stringify({ ok: false, exitCode: 2, error: "config", file: e.file, issues: e.issues }, null, 2) + "\n");
      err(`mailprobe: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const redact = makeRedactor(config.secrets);
  const tty = io.isTTY ?? Boolean(process.stdout.isTTY);
  const interactive = tty && !values.json;
  const log = createLogger({ level: env.MAILPROBE_LOG_LEVEL ?? config.logLevel ?? (interactive ? "warn" : "info"), redact });

  log.debug({ msSinceStart: Math.round(performance.now()) }, "config loaded");
  const only = values.probe ?? [];
  const probes = config.probes.filter((p) => !only.length || only.includes(p.name));
  if (!probes.length) {
    err(`mailprobe: no probe named ${only.join(", ")} in ${config.file}\n`);
    return 2;
  }
  const ctl = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (ctl.signal.aborted) return;
    log.info({ signal: sig }, "stopping");
    ctl.abort(new AbortedError(`received ${sig}`));
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  try {
    const command = await load();
    return await command({
      config,
      log,
      json: Boolean(values.json),
      color: interactive && !env.NO_COLOR,
      tty,
      probes,
      args: values,
      stdout: (t) => out(redact(t)),
      stdoutRedact: redact,
      stderr: (t) => err(redact(t)),
      signal: ctl.signal,
      version: VERSION,
    });
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}
