// The long-running commands' V8 memory flags (issue 23). The image's ENTRYPOINT passes --lite-mode;
// an npm install's shebang or a systemd unit cannot, and without it V8 grows serve's young generation
// to 128 MiB on a large host (RSS 102 → 224 MiB over 1,500 cycles, docs/benchmarks.md §5a). A
// `serve` or `watch` started without any V8 memory flag therefore replaces itself (same pid, same
// stdio, same environment) with a Node given --lite-mode, as the image runs it (Node 22: see memoryFlag). Any memory flag of
// the caller's, on the command line or in NODE_OPTIONS, is respected as is: that is also the opt-out
// (e.g. NODE_OPTIONS=--max-semi-space-size=16). NODE_OPTIONS cannot carry --lite-mode, the command
// line can.

import { accessSync, constants } from "node:fs";

/** The commands that stay up: the only ones worth a second start. */
const LONG_RUNNING = new Set(["serve", "watch"]);

/**
 * The flag added on re-exec: --lite-mode as in the image; on Node 22 its V8 prints "disabling flag
 * --expose_wasm due to conflicting flags" on every start, so there --max-semi-space-size=1 (the young
 * generation held small: ~115 MiB flat where --lite-mode holds ~90, docs/benchmarks.md).
 */
export const memoryFlag = (nodeVersion: string) => (Number(nodeVersion.split(".")[0]) >= 24 ? "--lite-mode" : "--max-semi-space-size=1");

/** V8 flags that decide the heap's size or shape (dashes or underscores, as V8 accepts both). */
const MEMORY_FLAGS =
  /^--(?:no-)?(?:lite[-_]mode|max[-_]semi[-_]space[-_]size|min[-_]semi[-_]space[-_]size|semi[-_]space[-_]growth[-_]factor|max[-_]old[-_]space[-_]size|max[-_]heap[-_]size|max[-_]young[-_]generation[-_]size|optimize[-_]for[-_]size|jitless)(?:=|$)/;

/** Splits NODE_OPTIONS into its words (quotes as Node reads them, roughly: enough to find flags; Node drops the quotes). */
const words = (s: string | undefined) => ((s ?? "").match(/"[^"]*"|\S+/g) ?? []).map((w) => w.replace(/"/g, ""));

/** Whether the caller already chose a V8 memory flag. */
export const hasMemoryFlag = (execArgv: readonly string[], nodeOptions: string | undefined) =>
  [...execArgv, ...words(nodeOptions)].some((a) => MEMORY_FLAGS.test(a));

/** The argv to re-exec with, or undefined when this start stays as it is. `argv` is process.argv. */
export function reexecArgv(p: {
  argv: readonly string[];
  execArgv: readonly string[];
  execPath: string;
  nodeOptions: string | undefined;
  nodeVersion: string;
}): string[] | undefined {
  if (!LONG_RUNNING.has(p.argv[2] ?? "") || hasMemoryFlag(p.execArgv, p.nodeOptions)) return undefined;
  return [p.execPath, ...p.execArgv, memoryFlag(p.nodeVersion), ...p.argv.slice(1)];
}

/**
 * Replaces this process when reexecArgv says so and Node has process.execve (≥ 22.15, ≥ 23.11; not on
 * Windows). A failed execve is no exception Node lets us catch: it aborts the process (SIGABRT, exit
 * 134). So the binary is checked first (a vanished or non-executable Node: run on without the flag);
 * a refusal no check can foresee (a seccomp profile denying execve) still aborts.
 */
export function reexecForMemory(): void {
  const execve = (process as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  if (typeof execve !== "function") return;
  const args = reexecArgv({
    argv: process.argv,
    execArgv: process.execArgv,
    execPath: process.execPath,
    nodeOptions: process.env.NODE_OPTIONS,
    nodeVersion: process.versions.node,
  });
  if (!args) return;
  try {
    accessSync(process.execPath, constants.X_OK);
  } catch {
    return;
  }
  execve.call(process, process.execPath, args, process.env);
}
