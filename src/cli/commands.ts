// Every command's options in one table: it drives both the parsing (an option of another command
// is refused, not ignored) and the help text (`mailprobe help run`, `mailprobe run --help`).
import { senderTypeList } from "../core/sender.js";
import type { CommandContext } from "./context.js";

export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** The value's placeholder in the help (FILE, DUR). */
  arg?: string;
  help: () => string;
}

export type Command = (ctx: CommandContext) => Promise<number>;

export interface CommandSpec {
  summary: string;
  /** The option names it takes, from OPTIONS. */
  options: string[];
  examples: string[];
  /** false: the command writes log lines only at debug, and pino is not loaded unless debug is on (start-up). */
  logs?: false;
  /** The command's module, imported when it runs. */
  load: () => Promise<Command>;
}

export const OPTIONS: Record<string, OptionSpec> = {
  config: { type: "string", short: "c", arg: "FILE", help: () => "the YAML config (default: $MAILPROBE_CONFIG)" },
  json: { type: "boolean", help: () => "machine-readable output on stdout" },
  probe: { type: "string", multiple: true, arg: "NAME", help: () => "only this probe (repeatable)" },
  every: { type: "string", arg: "DUR", help: () => "interval between cycles (e.g. 30s, 2m; default 30s)" },
  count: { type: "string", arg: "N", help: () => "stop after N cycles (default: until Ctrl-C)" },
  via: { type: "string", arg: "TYPE", help: () => `send through the probe's ${senderTypeList(false)} route (probes[].watchSender)` },
  force: { type: "boolean", help: () => "allow an interval that would exhaust Brevo's credits within the hour" },
  help: { type: "boolean", short: "h", help: () => "this text" },
  version: { type: "boolean", short: "v", help: () => "the version" },
};

/** The options every command takes besides its own. */
export const GLOBAL_OPTIONS = ["help", "version"];

export const COMMANDS: Record<string, CommandSpec> = {
  run: {
    summary: "run every probe once, report to the sinks, exit 0 (all paths healthy) or 1",
    options: ["config", "json", "probe"],
    examples: ["mailprobe run --config /etc/mailprobe/config.yaml", "mailprobe run --config config.yaml --probe inbound --json"],
    load: async () => (await import("./commands/run.js")).runCommand,
  },
  serve: {
    summary: "run probes on a schedule (and once at start) and serve /metrics, /healthz, /readyz",
    options: ["config", "probe"],
    examples: ["mailprobe serve --config /etc/mailprobe/config.yaml"],
    load: async () => (await import("./commands/serve.js")).serveCommand,
  },
  watch: {
    summary: "repeat the probe for a cutover, live view per path",
    options: ["config", "json", "probe", "every", "count", "via", "force"],
    examples: ["mailprobe watch --config config.yaml --every 30s --via smtp", "mailprobe watch --config config.yaml --count 5 --json"],
    load: async () => (await import("./commands/watch.js")).watchCommand,
  },
  doctor: {
    summary: "check paths, sender and sinks without sending mail",
    options: ["config", "json", "probe"],
    examples: ["mailprobe doctor --config /etc/mailprobe/config.yaml"],
    load: async () => (await import("./commands/doctor.js")).doctorCommand,
  },
  validate: {
    summary: "load and check the config (secret files included) without any network, exit 0 or 2",
    options: ["config", "json"],
    logs: false,
    examples: ["mailprobe validate --config /etc/mailprobe/config.yaml"],
    load: async () => (await import("./commands/validate.js")).validateCommand,
  },
};

const flag = (name: string) => {
  const o = OPTIONS[name]!;
  return `${o.short ? `-${o.short}, ` : ""}--${name}${o.arg ? ` ${o.arg}` : ""}`;
};

function optionLines(names: string[]): string {
  const width = Math.max(...names.map((n) => flag(n).length));
  return names.map((n) => `  ${flag(n).padEnd(width)}  ${OPTIONS[n]!.help()}`).join("\n");
}

/** `mailprobe run [--config FILE] [--json] [--probe NAME]…`. */
export function synopsis(command: string): string {
  const spec = COMMANDS[command]!;
  return `usage: mailprobe ${command} ${spec.options.map((n) => `[${flag(n).replace(/^-\w, /, "")}]${OPTIONS[n]!.multiple ? "…" : ""}`).join(" ")}`;
}

export function commandHelp(command: string): string {
  const spec = COMMANDS[command]!;
  return `mailprobe ${command}: ${spec.summary}

${synopsis(command)}

options:
${optionLines([...spec.options, "help"])}

examples:
${spec.examples.map((e) => `  ${e}`).join("\n")}
`;
}

export function usage(version: string): string {
  const names = Object.keys(COMMANDS);
  const width = Math.max(...names.map((n) => n.length));
  return `mailprobe ${version}: end-to-end mail-path probe and Prometheus exporter

usage: mailprobe <command> [--config FILE] [--json] [options]
       mailprobe help <command>     that command's options and examples

commands:
${names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n]!.summary}`).join("\n")}

options:
${optionLines(["config", "json", "probe", "help", "version"])}

exit codes: 0 all paths healthy, 1 a probe or check failed, 2 usage or configuration error
`;
}
