// argv → command and options, checked against the command table (./commands.ts): an unknown
// option, an option of another command or a missing value is one line naming it, never Node's
// raw parseArgs text.
import { parseArgs } from "node:util";
import { COMMANDS, GLOBAL_OPTIONS, OPTIONS } from "./commands.js";

export type ArgValues = Record<string, string | boolean | string[] | undefined>;

export type Parsed =
  | { kind: "command"; command: string; values: ArgValues }
  | { kind: "help"; command?: string }
  | { kind: "version" }
  | { kind: "error"; message: string; command?: string };

// parseArgs refuses keys that are present but undefined.
const ALL = Object.fromEntries(
  Object.entries(OPTIONS).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) }]),
);

export function parseArgv(argv: string[]): Parsed {
  const { values, positionals, tokens } = parseArgs({ args: argv, options: ALL, strict: false, allowPositionals: true, tokens: true });
  const [first, ...rest] = positionals;
  if (first === "help") {
    if (rest.length > 1 || (rest[0] && !COMMANDS[rest[0]])) return { kind: "error", message: `unknown command ${rest.join(" ")}` };
    return { kind: "help", command: rest[0] };
  }
  const command = first && COMMANDS[first] ? first : undefined;
  if (first && !command) return { kind: "error", message: `unknown command ${first}` };
  if (rest.length) return { kind: "error", command, message: `${command} takes no arguments, got ${rest.join(" ")} (options start with --)` };
  const allowed = new Set([...(command ? COMMANDS[command]!.options : Object.keys(OPTIONS)), ...GLOBAL_OPTIONS]);
  for (const t of tokens) {
    if (t.kind !== "option") continue;
    const spec = OPTIONS[t.name];
    if (!spec) {
      return { kind: "error", command, message: `unknown option ${t.rawName}` };
    }
    if (!allowed.has(t.name)) {
      const owners = Object.keys(COMMANDS).filter((c) => COMMANDS[c]!.options.includes(t.name));
      return {
        kind: "error",
        command,
        message: `--${t.name} is not an option of ${command} (${owners.join(", ")} ${owners.length > 1 ? "take" : "takes"} it)`,
      };
    }
    if (spec.type === "string" && t.value === undefined) return { kind: "error", command, message: `option ${t.rawName} needs a value (${spec.arg})` };
    if (spec.type === "boolean" && t.inlineValue) return { kind: "error", command, message: `option ${t.rawName} takes no value` };
  }
  if (values.version) return { kind: "version" };
  if (values.help || !command) return { kind: "help", command };
  return { kind: "command", command, values };
}
