#!/usr/bin/env node
// The shipped entry point: the built-in senders, receivers and sinks registered, then argv → main.
import "../senders/index.js";
import "../receivers/index.js";
import "../sinks/index.js";
import { main } from "./main.js";

// A failed probe is an exit code, never a crash: anything that escapes is an internal error (1).
process.on("unhandledRejection", (reason) => {
  process.stderr.write(`mailprobe: internal error (unhandled rejection): ${reason instanceof Error ? (reason.stack ?? reason.message) : String(reason)}\n`);
  process.exitCode = 1;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`mailprobe: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  },
);
