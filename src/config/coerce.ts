// `${VAR}` values in numeric and boolean fields: YAML reads `port: ${IMAP_PORT}` as a string, so
// after interpolation a string that came from the environment becomes a number or a boolean where
// the schema expects one. Only such strings, and only well-formed ones ("993", "true"): a literal
// "993" in the YAML stays an error, and "" never becomes 0 (which z.coerce would do).
import type * as z from "zod/mini";
import { fieldName, type ConfigIssue, type Json } from "./issues.js";

const NUMBER = /^-?(?:\d+|\d*\.\d+)(?:e[+-]?\d+)?$/i;

function setAt(root: Json, path: PropertyKey[], value: Json): void {
  let node: any = root;
  for (const key of path.slice(0, -1)) node = node?.[key as string];
  if (node && typeof node === "object") node[path.at(-1) as string] = value;
}

function getAt(root: Json, path: PropertyKey[]): unknown {
  let node: any = root;
  for (const key of path) node = node?.[key as string];
  return node;
}

/**
 * Coerces, in place, the interpolated strings the schema refused as numbers or booleans. Returns
 * whether anything changed (then parse again), and adds an issue naming the field and the variable
 * for a value that is neither; `refused` collects those fields (their zod issue is then redundant).
 */
export function coerceInterpolated(value: Json, error: z.core.$ZodError, origins: Map<string, string[]>, issues: ConfigIssue[], refused: Set<string>): boolean {
  let changed = false;
  for (const issue of error.issues) {
    if (issue.code !== "invalid_type" || (issue.expected !== "number" && issue.expected !== "boolean")) continue;
    const field = fieldName(issue.path);
    const vars = origins.get(field);
    const text = getAt(value, issue.path);
    if (!vars || typeof text !== "string" || refused.has(field)) continue;
    // An unset variable is already an issue of its own.
    if (issues.some((i) => i.field === field)) {
      refused.add(field);
      continue;
    }
    const t = text.trim();
    if (issue.expected === "number" && NUMBER.test(t)) {
      setAt(value, issue.path, Number(t));
      changed = true;
    } else if (issue.expected === "boolean" && (t === "true" || t === "false")) {
      setAt(value, issue.path, t === "true");
      changed = true;
    } else {
      refused.add(field);
      const from = vars.map((v) => `\${${v}}`).join(", ");
      issues.push({
        field,
        // The value itself is not repeated: the variable may hold a secret by mistake.
        message: `${from} is not ${issue.expected === "number" ? "a number" : "true or false"}: set ${vars.join(", ")} to one`,
      });
    }
  }
  return changed;
}
