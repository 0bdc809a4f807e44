// One name, one thing: no two modules of src/ export the same top-level name (issue 22: two
// `verdictOf`s, two `PathState`s, two `ServeSettings` and an `isOurs` in checks/ and receivers/ made a
// reader open the wrong file). Read with the TypeScript compiler's parser. A re-export under the same
// name (`export { x } from "./a.js"`, index.ts's public API) is the same thing, not a second one; a
// renaming re-export (`export { x as y }`) makes a new name and counts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { SRC, sources } from "../helpers/sources.js";

/** Names two modules may both export, each with the reason it is intended. None today. */
export const ALLOWED: Record<string, string> = {};

const isExported = (s: ts.Statement) => ts.canHaveModifiers(s) && !!ts.getModifiers(s)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

/** The top-level names a module exports, declared in it or renamed by it. */
export function exportedNames(name: string, text: string): string[] {
  const file = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
  const imported = new Set<string>();
  for (const s of file.statements) {
    const clause = ts.isImportDeclaration(s) ? s.importClause : undefined;
    if (clause?.name) imported.add(clause.name.text);
    const bindings = clause?.namedBindings;
    if (bindings && ts.isNamedImports(bindings)) bindings.elements.forEach((e) => imported.add(e.name.text));
    if (bindings && ts.isNamespaceImport(bindings)) imported.add(bindings.name.text);
  }
  const out: string[] = [];
  for (const s of file.statements) {
    if (ts.isExportDeclaration(s) && s.exportClause && ts.isNamedExports(s.exportClause)) {
      for (const e of s.exportClause.elements) {
        const renamed = e.propertyName !== undefined && e.propertyName.getText(file) !== e.name.text;
        if (renamed || (!s.moduleSpecifier && !imported.has(e.name.text))) out.push(e.name.text);
      }
    } else if (isExported(s) && ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name)) out.push(d.name.text);
    } else if (isExported(s)) {
      const own = (s as { name?: ts.Node }).name;
      if (own && ts.isIdentifier(own)) out.push(own.text);
    }
  }
  return out;
}

/** Every name exported by more than one module and not allowed, as "name: a.ts, b.ts" lines. */
export function collisions(files: { file: string; text: string }[], allowed: Record<string, string> = ALLOWED): string[] {
  const where = new Map<string, string[]>();
  for (const { file, text } of files) for (const n of new Set(exportedNames(file, text))) where.set(n, [...(where.get(n) ?? []), file]);
  return [...where]
    .filter(([n, fs]) => fs.length > 1 && !(n in allowed))
    .map(([n, fs]) => `${n}: ${fs.join(", ")}`)
    .sort();
}

test("no two modules of src/ export the same top-level name", () => {
  const files = sources().map((f) => ({ file: relative(SRC, f), text: readFileSync(f, "utf8") }));
  assert.ok(files.length > 30);
  assert.deepEqual(collisions(files), []);
  for (const n of Object.keys(ALLOWED))
    assert.ok(
      collisions(files, {}).some((c) => c.startsWith(`${n}:`)),
      `${n} is allowed but no longer collides: drop it`,
    );
});

test("the check itself catches every kind of export and leaves plain re-exports alone", () => {
  const kinds = [
    "export function x() {}",
    "export const x = 1;",
    "export let a = 1, x = 2;",
    "export interface x { a: number }",
    "export type x = string;",
    "export class x {}",
    "export enum x { A }",
    "const x = 1;\nexport { x };",
    "const y = 1;\nexport { y as x };",
    'export { y as x } from "./y.js";',
  ];
  for (const text of kinds)
    assert.deepEqual(
      collisions([
        { file: "a.ts", text: "export const x = 0;" },
        { file: "b.ts", text },
      ]),
      ["x: a.ts, b.ts"],
      text,
    );
  const same = [
    'export { x } from "./a.js";',
    'import { x } from "./a.js";\nexport { x };',
    'export type { x } from "./a.js";',
    "function x() {}",
    'export * from "./a.js";',
  ];
  for (const text of same)
    assert.deepEqual(
      collisions([
        { file: "a.ts", text: "export const x = 0;" },
        { file: "b.ts", text },
      ]),
      [],
      text,
    );
  assert.deepEqual(
    collisions(
      [
        { file: "a.ts", text: "export const x = 0;" },
        { file: "b.ts", text: "export type x = 1;" },
      ],
      { x: "intended" },
    ),
    [],
  );
});
