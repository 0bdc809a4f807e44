// One version for everything a release ships: package.json (and package-lock.json's copy), the
// chart's version and appVersion (the image tag defaults to appVersion), and the Dockerfile's
// VERSION default (the image's OCI label).
//   scripts/node --import tsx scripts/version.ts 0.2.0          bump all of them
//   scripts/node --import tsx scripts/version.ts --check        exit 1 unless they agree
// test/ship/release.test.ts checks they agree and that the bump moves every one.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

/** Each place a version is written: how to read it and how to replace it, in one file's text. */
const places = [
  { file: "package.json", re: /^( {2}"version": ")([^"]+)(")/m },
  { file: "package-lock.json", re: /^( {2}"version": ")([^"]+)(")/m },
  { file: "package-lock.json", re: /^( {6}"version": ")([^"]+)(")/m },
  { file: "charts/mailprobe/Chart.yaml", re: /^(version: )(\S+)()$/m },
  { file: "charts/mailprobe/Chart.yaml", re: /^(appVersion: ")([^"]+)(")$/m },
  { file: "Dockerfile", re: /^(ARG VERSION=)(\S+)()$/m },
] as const;

/** Every place's current version, as `file: version`. */
export function versions(root: string): { place: string; version: string }[] {
  return places.map(({ file, re }) => {
    const m = re.exec(readFileSync(join(root, file), "utf8"));
    if (!m) throw new Error(`scripts/version.ts: no version found in ${file} (${re})`);
    return { place: `${file} ${re.source}`, version: m[2]! };
  });
}

export function bump(root: string, version: string): void {
  if (!SEMVER.test(version)) throw new Error(`scripts/version.ts: "${version}" is not a semantic version (e.g. 1.2.3)`);
  for (const { file, re } of places) {
    const path = join(root, file);
    writeFileSync(
      path,
      readFileSync(path, "utf8").replace(re, (_all, a: string, _v: string, b: string) => `${a}${version}${b}`),
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = join(import.meta.dirname, "..");
  const arg = process.argv[2];
  if (arg === "--check" || arg === undefined) {
    const found = versions(root);
    const distinct = new Set(found.map((f) => f.version));
    for (const f of found) console.log(`${f.version}\t${f.place}`);
    if (distinct.size !== 1) {
      console.error("scripts/version.ts: the versions differ; run scripts/version.ts <version>");
      process.exit(1);
    }
  } else {
    bump(root, arg);
    console.log(`version ${arg}: ${[...new Set(places.map((p) => p.file))].join(", ")}`);
  }
}
