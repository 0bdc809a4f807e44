// config/ has no import cycle, type-only imports included (issue 22): each module of the floor can be
// read with only the ones it imports. Uses the floors test's import reader (test/helpers/imports.ts) (static, `import type`,
// `export … from`, dynamic import()).
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { test } from "node:test";
import { importsOf } from "../helpers/imports.js";

const dir = resolve(new URL("../../src/config/", import.meta.url).pathname);

/** Every cycle among `files` (imports outside them ignored), each once, as "a → b → a". */
export function cycles(files: { file: string; text: string }[]): string[] {
  const names = new Set(files.map((f) => f.file));
  const edges = new Map(files.map(({ file, text }) => [file, importsOf(file, text).filter((t) => names.has(t))]));
  const found = new Set<string>();
  const walk = (at: string, trail: string[]): void => {
    const i = trail.indexOf(at);
    if (i >= 0) {
      const loop = trail.slice(i).map((f) => relative(dir, f));
      // One spelling per cycle: start at its smallest name.
      const k = loop.indexOf([...loop].sort()[0]!);
      const turned = [...loop.slice(k), ...loop.slice(0, k)];
      found.add([...turned, turned[0]].join(" → "));
      return;
    }
    for (const next of edges.get(at) ?? []) walk(next, [...trail, at]);
  };
  for (const f of names) walk(f, []);
  return [...found].sort();
}

test("config/ has no import cycle, type-only imports included", () => {
  const files = readdirSync(dir)
    .filter((n) => n.endsWith(".ts"))
    .map((n) => ({ file: join(dir, n), text: readFileSync(join(dir, n), "utf8") }));
  assert.ok(files.length >= 5);
  assert.deepEqual(cycles(files), []);
});

test("the check itself finds a type-only cycle and a longer one", () => {
  const at = (n: string) => join(dir, n);
  const found = cycles([
    { file: at("a.ts"), text: 'import type { B } from "./b.js";' },
    { file: at("b.ts"), text: 'import { a } from "./a.js";\nimport "./c.js";' },
    { file: at("c.ts"), text: 'export { d } from "./d.js";' },
    { file: at("d.ts"), text: 'const b = await import("./b.js");' },
  ]);
  assert.deepEqual(found, ["a.ts → b.ts → a.ts", "b.ts → c.ts → d.ts → b.ts"]);
});
