// Preloaded with --import: appends the URL of every module the process loads to the file named by
// MAILPROBE_RECORD_LOADS (test/cli/lazy.test.ts reads it to see what a command loaded).
import { appendFileSync } from "node:fs";
import { registerHooks } from "node:module";

const out = process.env.MAILPROBE_RECORD_LOADS;
registerHooks({
  load(url, context, nextLoad) {
    if (out) appendFileSync(out, `${url}\n`);
    return nextLoad(url, context);
  },
});
