// The code's shape, enforced: no file of src/ over 250 lines and no function over 80 (issue 22,
// "Done when"). Functions are found with the TypeScript compiler's own parser, so an arrow function
// held in a variable, a method, an accessor and a closure nested in another all count; a nested
// function's lines count for it and for the function around it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { test } from "node:test";
import ts from "typescript";
import { SRC, sources } from "../helpers/sources.js";

export const MAX_FILE_LINES = 250;
export const MAX_FUNCTION_LINES = 80;

const src = SRC;

/** A function's name as a reader finds it: its own, its variable's, its property's, or `(anonymous)`. */
function nameOf(node: ts.Node, file: ts.SourceFile): string {
  const own = (node as { name?: ts.Node }).name;
  if (own) return own.getText(file);
  const parent = node.parent;
  if (parent && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent))) return parent.name.getText(file);
  if (ts.isConstructorDeclaration(node)) return "constructor";
  return "(anonymous)";
}

/** Every function-like node of a file with its length in lines (first line to last, both counted). */
export function functionLengths(name: string, text: string): { name: string; line: number; lines: number }[] {
  const file = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, true);
  const out: { name: string; line: number; lines: number }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body) {
      const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      out.push({ name: nameOf(node, file), line: start + 1, lines: end - start + 1 });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

/** Every breach of the two limits, as "file: …" lines. */
export function shapeViolations(files: { file: string; text: string }[]): string[] {
  return files.flatMap(({ file, text }) => {
    const lines = text.split("\n").length - (text.endsWith("\n") ? 1 : 0);
    const tooLong = lines > MAX_FILE_LINES ? [`${file}: ${lines} lines (at most ${MAX_FILE_LINES})`] : [];
    const fns = functionLengths(file, text)
      .filter((f) => f.lines > MAX_FUNCTION_LINES)
      .map((f) => `${file}:${f.line}: function ${f.name} is ${f.lines} lines (at most ${MAX_FUNCTION_LINES})`);
    return [...tooLong, ...fns];
  });
}

test(`no file of src/ over ${MAX_FILE_LINES} lines, no function over ${MAX_FUNCTION_LINES}`, () => {
  const files = sources(src).map((f) => ({ file: relative(src, f), text: readFileSync(f, "utf8") }));
  assert.ok(files.length > 30);
  assert.deepEqual(shapeViolations(files), []);
});

test("the check itself catches a long file and a long function of every kind", () => {
  const body = (n: number) => Array.from({ length: n }, (_, i) => `  x += ${i};`).join("\n");
  const long = `let x = 0;\n${body(MAX_FILE_LINES)}\n`;
  assert.deepEqual(shapeViolations([{ file: "a.ts", text: long }]), [`a.ts: ${MAX_FILE_LINES + 1} lines (at most ${MAX_FILE_LINES})`]);
  const at = (n: number) => `function ok() {\n${body(n - 2)}\n}\n`;
  assert.deepEqual(shapeViolations([{ file: "b.ts", text: at(MAX_FUNCTION_LINES) }]), [], "exactly the limit is allowed");
  const kinds = [
    `function f() {\n${body(MAX_FUNCTION_LINES)}\n}`,
    `const g = () => {\n${body(MAX_FUNCTION_LINES)}\n};`,
    `class C {\n  m() {\n${body(MAX_FUNCTION_LINES)}\n  }\n}`,
    `const o = { h: function () {\n${body(MAX_FUNCTION_LINES)}\n} };`,
    `function outer() {\n  const inner = () => {\n${body(MAX_FUNCTION_LINES)}\n  };\n  return inner;\n}`,
  ];
  const found = kinds.map((text) => shapeViolations([{ file: "c.ts", text }]).map((v) => v.replace(/^c\.ts:\d+: function (\S+) is \d+ lines.*$/, "$1")));
  assert.deepEqual(found, [["f"], ["g"], ["m"], ["h"], ["outer", "inner"]]);
});
