import { readFileSync } from "node:fs";

/** Set by the bundler (scripts/bundle.mjs); unbundled, the version comes from package.json. */
declare const __MAILPROBE_VERSION__: string | undefined;

/** The package version (dist/version.js and src/version.ts both sit one level below package.json). */
export const VERSION: string =
  typeof __MAILPROBE_VERSION__ === "string"
    ? __MAILPROBE_VERSION__
    : (() => {
        try {
          return (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version;
        } catch {
          return "0.0.0";
        }
      })();
