#!/usr/bin/env node
// The shipped entry point: argv → main (which registers the built-in senders, receivers and sinks).
// `--version` answers before anything else is loaded (it is what health checks and scripts call).
import { errorReport } from "../core/stack.js";
import { VERSION } from "../version.js";

/**
 * A failed probe is an exit code, never a crash: anything that escapes is an internal error (1).
 * Its stack (mapped to the sources when printed) goes through the same sanitiser as every other
 * output once the config named the secrets (main hands the redactor back); before that no secret is
 * known to the process.
 */
function crashReporter() {
  let redact = (t: string) => t;
  const report = (what: string, e: unknown) => {
    process.stderr.write(redact(`mailprobe: internal error${what}: ${errorReport(e)}`) + "\n");
    process.exitCode = 1;
  };
  process.on("unhandledRejection", (reason) => report(" (unhandled rejection)", reason));
  return { report, use: (r: (t: string) => string) => (redact = r) };
}
const crash = crashReporter();

async function start(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  return (await import("./main.js")).main(argv, { onRedactor: crash.use });
}

start(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => crash.report("", e),
);
