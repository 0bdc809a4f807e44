// The JSON result of `run` on the lab keeps its shape (issue 22: the house's reshaping changes no
// field). A real run's result, its volatile values masked (numbers → 0, strings → their kind), is
// compared as a set of "field path: type" lines with the committed example
// (test/e2e/fixtures/run-result.json). Arrays that a healthy run may leave empty (warnings, notes,
// cleanup errors) may be absent from a run. MAILPROBE_WRITE_EXAMPLE=1 rewrites the example.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { labConfig, runCli } from "../helpers/cli.js";

const example = new URL("./fixtures/run-result.json", import.meta.url).pathname;

/** Values that say what kind of thing a field is (kept), as against what this run measured (masked). */
const KEPT = new Set(["probe", "name", "type", "state", "entry", "sink", "target", "list", "mode", "foundIn", "foundDuring", "version", "result"]);

/** Numbers become 0 and strings "<string>", except the fields of KEPT: the example stays the same from run to run. */
export function mask(value: unknown, key = ""): unknown {
  if (Array.isArray(value)) return value.map((v) => mask(v, key));
  if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, k)]));
  if (typeof value === "number") return 0;
  if (typeof value === "string") return KEPT.has(key) ? value : "<string>";
  return value;
}

/** Every field as "path: type", array elements merged under `[]`. */
export function shape(value: unknown, at = ""): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown, p: string) => {
    if (Array.isArray(v)) {
      out.add(`${p}: array`);
      for (const e of v) walk(e, `${p}[]`);
    } else if (v && typeof v === "object") {
      out.add(`${p || "."}: object`);
      for (const [k, x] of Object.entries(v)) walk(x, p ? `${p}.${k}` : k);
    } else out.add(`${p}: ${v === null ? "null" : typeof v}`);
  };
  walk(value, at);
  return out;
}

/** Element fields of these arrays may be absent from a healthy run (the arrays are then empty). */
const MAY_BE_EMPTY = ["warnings[]", "probes[].send.notes[]", "probes[].cleanup.errors[]", "probes[].warnings[]"];
const optional = (line: string) => MAY_BE_EMPTY.some((p) => line.startsWith(p));

test("the JSON result of run on the lab has the committed example's shape (volatile values masked)", async () => {
  const res = await runCli(["run", "--json", "--config", labConfig(() => {})]);
  assert.equal(res.code, 0, res.stderr);
  const masked = mask(res.json);
  if (process.env.MAILPROBE_WRITE_EXAMPLE) writeFileSync(example, `${JSON.stringify(masked, null, 2)}\n`);
  const want = shape(JSON.parse(readFileSync(example, "utf8")));
  const got = shape(masked);
  const missing = [...want].filter((l) => !got.has(l) && !optional(l));
  const added = [...got].filter((l) => !want.has(l));
  assert.deepEqual({ missing, added }, { missing: [], added: [] }, "the result's shape changed: update README and test/e2e/fixtures/run-result.json together");
});

test("the shape check itself sees a renamed field, a changed type and a new one", () => {
  const base = { probes: [{ ok: true, paths: [{ name: "a", roundtripSeconds: 1 }] }] };
  const want = shape(mask(base));
  const changed = shape(mask({ probes: [{ ok: "yes", paths: [{ name: "a", roundTripSeconds: 1, extra: {} }] }] }));
  assert.deepEqual(
    [...want].filter((l) => !changed.has(l)),
    ["probes[].ok: boolean", "probes[].paths[].roundtripSeconds: number"],
  );
  assert.deepEqual(
    [...changed].filter((l) => !want.has(l)),
    ["probes[].ok: string", "probes[].paths[].roundTripSeconds: number", "probes[].paths[].extra: object"],
  );
});
