// The floors of src/: a module imports only from its own floor or a lower one, so that the ground
// (core) depends on nothing and each floor can be read without the ones above it. Reads every
// import statement (static, `export … from`, dynamic import()) of every file under src/.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { importsOf } from "../helpers/imports.js";
import { SRC, sources } from "../helpers/sources.js";

export { importsOf };

/** Lowest first. A top-level file is named by its file name. */
export const FLOORS: string[][] = [
  ["core", "types", "log.ts", "log-levels.ts", "redact.ts", "version.ts"],
  ["config"],
  ["checks", "net", "render", "schedule"],
  ["senders", "receivers", "sinks", "builtins.ts"],
  ["probe"],
  ["doctor", "watch", "serve"],
  ["cli", "index.ts"],
];

const src = SRC;

function floorOf(file: string): number {
  const top = relative(src, file).split("/")[0]!;
  const i = FLOORS.findIndex((f) => f.includes(top));
  if (i < 0) throw new Error(`${relative(src, file)}: its folder is on no floor (add it to FLOORS)`);
  return i;
}

/** Every import from a lower floor to a higher one, as "from → to" lines. */
export function violations(files: { file: string; text: string }[]): string[] {
  return files.flatMap(({ file, text }) =>
    importsOf(file, text)
      .filter((target) => floorOf(target) > floorOf(file))
      .map((target) => `${relative(src, file)} → ${relative(src, target)}`),
  );
}

test("no module imports from a higher floor", () => {
  const files = sources(src).map((file) => ({ file, text: readFileSync(file, "utf8") }));
  assert.ok(files.length > 30);
  assert.deepEqual(violations(files), []);
});

test("the check itself catches a violation (static, type-only and dynamic imports)", () => {
  const file = join(src, "core", "x.ts");
  assert.deepEqual(violations([{ file, text: 'import { runProbe } from "../probe/run.js";' }]), ["core/x.ts → probe/run.ts"]);
  assert.deepEqual(violations([{ file, text: 'import type {\n  LoadedConfig,\n} from "../config/load.js";' }]), ["core/x.ts → config/load.ts"]);
  assert.deepEqual(violations([{ file, text: 'const m = await import("../sinks/kuma.js");' }]), ["core/x.ts → sinks/kuma.ts"]);
  assert.deepEqual(violations([{ file: join(src, "probe", "y.ts"), text: 'import "../core/reasons.js";' }]), []);
});
