// Stack traces that name the TypeScript sources, read on demand: the bundle's .map files are parsed
// only when a stack is printed (an internal error), never at start (issue 23: enabling Node's
// source-map support at start read and decoded every chunk's map, ~30 ms of every command).
import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** `    at name (file:///…/x.js:12:34)` or `    at file:///…/x.js:12:34` */
const FRAME = /^(\s+at (?:.*? \()?)((?:file:\/\/)?\/[^\s()]+\.js):(\d+):(\d+)(\)?)$/;

function loadMap(file: string): SourceMap | null {
  try {
    return new SourceMap(JSON.parse(readFileSync(`${file}.map`, "utf8")));
  } catch {
    return null;
  }
}

/** The stack with every frame of a file that has a .map beside it rewritten to its source line; other frames as they are. */
export function mapStack(stack: string): string {
  const maps = new Map<string, SourceMap | null>();
  return stack
    .split("\n")
    .map((line) => {
      const m = FRAME.exec(line);
      if (!m) return line;
      const file = m[2]!.startsWith("file:") ? fileURLToPath(m[2]!) : m[2]!;
      if (!maps.has(file)) maps.set(file, loadMap(file));
      const entry = maps.get(file)?.findEntry(Number(m[3]) - 1, Number(m[4]) - 1) as
        { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
      if (!entry?.originalSource || entry.originalLine === undefined || entry.originalColumn === undefined) return line;
      const source = entry.originalSource.startsWith("file:") ? fileURLToPath(entry.originalSource) : resolve(dirname(file), entry.originalSource);
      return `${m[1]}${source}:${entry.originalLine + 1}:${entry.originalColumn + 1}${m[5]}`;
    })
    .join("\n");
}

/** An error as an internal-error report: its stack mapped to the sources, or its text. */
export function errorReport(e: unknown): string {
  return e instanceof Error ? mapStack(e.stack ?? e.message) : String(e);
}
