// charts/mailprobe/README.md documents every value: each flattened key of values.yaml (maps are
// followed down to their leaves; lists, empty maps and `config`, mailprobe's own configuration, are
// leaves) has a row in the values table, and the table names no key that does not exist.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { chartDir } from "../helpers/helm.js";

function flatten(v: Record<string, unknown>, prefix = ""): string[] {
  return Object.entries(v).flatMap(([k, x]) => {
    const key = prefix + k;
    const isMap = x !== null && typeof x === "object" && !Array.isArray(x) && Object.keys(x).length > 0;
    return key !== "config" && isMap ? flatten(x as Record<string, unknown>, `${key}.`) : [key];
  });
}

test("every value in values.yaml has a row in the chart README's values table, and every row a value", () => {
  const keys = flatten(parse(readFileSync(join(chartDir, "values.yaml"), "utf8")));
  const readme = readFileSync(join(chartDir, "README.md"), "utf8");
  const rows = [...readme.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
  assert.ok(keys.length > 50, String(keys.length));
  const undocumented = keys.filter((k) => !rows.includes(k));
  assert.deepEqual(undocumented, [], "values without a row in charts/mailprobe/README.md");
  const unknown = rows.filter((r) => !keys.includes(r!));
  assert.deepEqual(unknown, [], "rows in charts/mailprobe/README.md for values that do not exist");
});
