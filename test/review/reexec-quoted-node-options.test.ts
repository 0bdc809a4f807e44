// serve and watch re-exec with a V8 memory flag unless the caller gave one: "Any memory flag of the
// caller's, on the command line or in NODE_OPTIONS, is respected as is: that is also the opt-out"
// (src/cli/reexec.ts). Node reads a quoted word of NODE_OPTIONS as the flag inside the quotes
// (NODE_OPTIONS='"--max-semi-space-size=16"' sets it), but the check saw '"--max…"', found no flag,
// and re-executed with --max-semi-space-size=1 / --lite-mode on the command line, which Node applies
// after NODE_OPTIONS: the caller's choice was overridden. Pure: reexecArgv only.
import assert from "node:assert/strict";
import { test } from "node:test";
import { hasMemoryFlag, reexecArgv } from "../../src/cli/reexec.js";

test("a quoted memory flag in NODE_OPTIONS is the caller's choice: no re-exec", () => {
  assert.equal(hasMemoryFlag([], '"--max-semi-space-size=16"'), true);
  assert.equal(hasMemoryFlag([], '--require "./x y.js" "--max-old-space-size=512"'), true);
  assert.equal(
    reexecArgv({
      argv: ["/usr/bin/node", "/app/mailprobe.js", "serve"],
      execArgv: [],
      execPath: "/usr/bin/node",
      nodeOptions: '"--max-semi-space-size=16"',
      nodeVersion: "24.1.0",
    }),
    undefined,
  );
  assert.equal(hasMemoryFlag([], '--require "./x y.js"'), false, "other flags are still no memory choice");
});
