// YAML → plain data, every failure as one ConfigIssue naming the line and never a value: an
// unquoted `password: *Secret` is an alias to an unknown anchor (its name is the secret), and a
// chain of aliases (an "alias bomb") must not expand into gigabytes.
import { isAlias, LineCounter, parseDocument, visit, type Document } from "yaml";
import type { ConfigIssue } from "./issues.js";

/** Alias expansions allowed when converting to data; a real config needs a handful. */
export const MAX_ALIAS_COUNT = 100;

function lineOf(lines: LineCounter, offset: number | undefined): string {
  if (offset === undefined) return "";
  const pos = lines.linePos(offset);
  return `line ${pos.line}, column ${pos.col}`;
}

/** The first alias of the document and whether it has an anchor to point at. */
function firstAlias(doc: Document, lines: LineCounter): { at: string; unresolved: boolean } | undefined {
  let found: { at: string; unresolved: boolean } | undefined;
  visit(doc, {
    Alias(_, node) {
      const unresolved = node.resolve(doc) === undefined;
      if (!found || (unresolved && !found.unresolved)) found = { at: lineOf(lines, node.range?.[0]), unresolved };
      if (unresolved) return visit.BREAK;
    },
  });
  return found;
}

/** Parses YAML text; returns the data or the one issue that stops it. */
export function parseConfigYaml(text: string): { data: unknown } | { issue: ConfigIssue } {
  const lines = new LineCounter();
  let doc: Document;
  try {
    // logLevel error: a collection key is reported as an unknown field; yaml's warning (console.warn in
    // its ESM build, which the bundle takes; it may quote the key) would only repeat it on stderr.
    doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, logLevel: "error" });
  } catch {
    return { issue: { field: "", message: "YAML syntax: the file cannot be parsed" } };
  }
  const err = doc.errors[0];
  if (err) {
    // The message's first sentence names the problem; yaml quotes no values in it.
    const what = err.message.split(/[\n:]/)[0];
    return { issue: { field: lineOf(lines, err.pos[0]), message: `YAML syntax: ${what}` } };
  }
  const alias = firstAlias(doc, lines);
  if (alias?.unresolved) {
    return {
      issue: {
        field: alias.at,
        message: 'YAML alias to an unknown anchor: a value starting with * (or &) must be quoted, e.g. password: "*…"',
      },
    };
  }
  try {
    return { data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }) };
  } catch (e) {
    const bomb = e instanceof ReferenceError || /alias/i.test((e as Error).message);
    return {
      issue: {
        field: alias?.at ?? "",
        message: bomb
          ? `YAML aliases expand too far (more than ${MAX_ALIAS_COUNT}): write the values out instead of nesting aliases`
          : "YAML cannot be converted to data",
      },
    };
  }
}
