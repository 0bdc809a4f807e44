#!/usr/bin/env node
// The shipped entry point: argv → main (which registers the built-in senders, receivers and sinks).
// `--version` answers before anything else is loaded (it is what health checks and scripts call).
import { errorReport } from "../core/stack.js";
import { VERSION } from "../version.js";

// A failed probe is an exit code, never a crash: anything that escapes is an internal error (1).
process.on("unhandledRejection", (reason) => {
  process.stderr.write(`mailprobe: internal error (unhandled rejection): ${errorReport(reason)}\n`);
  process.exitCode = 1;
});

async function start(argv: string[]): Promise<number> {
  if (argv.length === 1 && (argv[0] === "--version" || argv[0] === "-v")) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  return (await import("./main.js")).main(argv);
}

start(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`mailprobe: internal error: ${errorReport(e)}\n`);
    process.exitCode = 1;
  },
);
