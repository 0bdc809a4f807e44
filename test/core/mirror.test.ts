// Tests mirror the code (issue 22): every folder of src/ has its tests in the same-named folder of
// test/, so that a reader finds a module's tests without searching. The exceptions are listed with
// their reason, and each must still be one (an exception whose folder got tests is dropped).
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { test } from "node:test";
import { SRC } from "../helpers/sources.js";

const TEST = resolve(new URL("../", import.meta.url).pathname);

/** src/ folders without a test folder of their own, each with the reason. */
export const EXCEPTIONS: Record<string, string> = {
  types: "declaration files for untyped packages (mailsplit): nothing runs",
  "cli/commands": "one module per command, tested through the CLI: test/cli (in process) and test/e2e (the shipped bundle)",
  "senders/brevo": "tested in test/senders (the event log) and against the lab's fake Brevo in test/e2e",
  "senders/smtp": "tested against the lab's Postfix in test/e2e and test/promises (deadlines, hostile peers)",
};

/** Every folder under `dir`, relative to it. */
export function folders(dir: string, root = dir): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory())
    .flatMap((e) => [relative(root, join(dir, e.name)), ...folders(join(dir, e.name), root)]);
}

/** The src/ folders with no test folder of the same name and no listed exception. */
export function unmirrored(srcFolders: string[], hasTests: (folder: string) => boolean, exceptions = EXCEPTIONS): string[] {
  return srcFolders.filter((f) => !hasTests(f) && !(f in exceptions));
}

const hasTests = (f: string) => existsSync(join(TEST, f)) && readdirSync(join(TEST, f)).some((n) => n.endsWith(".test.ts"));

test("every folder of src/ has a test folder of the same name with tests in it", () => {
  const all = folders(SRC);
  assert.ok(all.length > 10);
  assert.deepEqual(unmirrored(all, hasTests), []);
  for (const f of Object.keys(EXCEPTIONS)) {
    assert.ok(all.includes(f), `${f}: no such folder in src/ any more: drop the exception`);
    assert.ok(!hasTests(f), `${f}: has tests of its own now: drop the exception`);
  }
});

test("the check itself finds a folder without tests", () => {
  assert.deepEqual(
    unmirrored(["a", "b", "b/c", "types"], (f) => f === "a"),
    ["b", "b/c"],
  );
});
