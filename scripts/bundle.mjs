// The shipped entry point: dist/cli/bin.js and its production dependencies bundled by esbuild into
// dist/bundle/ (ESM, code-split, so a run still loads only its own sender). Starts about twice as
// fast as the unbundled tree (docs/benchmarks.md). Source maps: tsc's maps (src/ → dist/) are read
// by esbuild and chained into linked .map files beside the chunks, without the sources' text
// (sourcesContent: false keeps them small); dist/cli/entry.js turns them on before loading the rest.
import { readFileSync, rmSync } from "node:fs";
import { build } from "esbuild";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
rmSync("dist/bundle", { recursive: true, force: true });
await build({
  entryPoints: { mailprobe: "dist/cli/entry.js" },
  outdir: "dist/bundle",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Smaller source parses faster; names are kept (error classes and libraries read them).
  minify: true,
  keepNames: true,
  sourcemap: "linked",
  sourcesContent: false,
  logLevel: "warning",
  define: { __MAILPROBE_VERSION__: JSON.stringify(version) },
  // CommonJS dependencies call require() for Node's built-ins.
  banner: { js: "import { createRequire as __mpCreateRequire } from 'node:module'; const require = __mpCreateRequire(import.meta.url);" },
});
