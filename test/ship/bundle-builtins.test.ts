// scripts/bundle.mjs takes Node's built-ins by require() and re-exports them by name, leaving out the
// lazy getters (node:fs's promises, ReadStream…; node:http's WebSocket…) so that no start reads them.
// Its promise: "importing one by name fails the build, never a run". Two ways around it did build
// and then read undefined at run time: a dynamic import() of a built-in (the Brevo SDK's
// `(await import("fs")).promises.stat`, its file-size sniffing) and a property read off
// `import * as fs from "node:fs"` (esbuild only warned: import-is-undefined). The plugin is run here
// on two small entries, as the bundle is built.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { build, type Plugin } from "esbuild";
import { repoRoot } from "../helpers/cli.js";

const script = pathToFileURL(join(repoRoot, "scripts", "bundle.mjs")).href;
const { lighter, logOverride } = (await import(script)) as { lighter: Plugin; logOverride: Record<string, "error"> };
const dir = mkdtempSync(join(tmpdir(), "mailprobe-bundle-builtins-"));

const bundleOf = (name: string, source: string) => {
  writeFileSync(join(dir, `${name}.mjs`), source);
  return build({
    entryPoints: [join(dir, `${name}.mjs`)],
    outfile: join(dir, `${name}.out.mjs`),
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "silent",
    logOverride,
    plugins: [lighter],
    banner: { js: "import { createRequire as __mpCreateRequire } from 'node:module'; const require = __mpCreateRequire(import.meta.url);" },
  });
};

test("a dynamic import() of a built-in gets its whole namespace, getters included", async () => {
  await bundleOf(
    "dynamic",
    `const fs = await import("fs"); const http = await import("node:http"); const { readFileSync } = await import("node:fs");
     console.log(typeof fs.promises?.stat, typeof fs.createReadStream, typeof http.request, typeof readFileSync);`,
  );
  const r = spawnSync(process.execPath, [join(dir, "dynamic.out.mjs")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "function function function function");
});

test("reading a left-out getter off `import * as` fails the build instead of being undefined at run time", async () => {
  await assert.rejects(bundleOf("namespace", `import * as fs from "node:fs"; console.log(typeof fs.promises);`), /Import "promises" will always be undefined/);
  // Named imports of what is re-exported, and the default export, still build and work.
  await bundleOf("named", `import fs, { readFileSync } from "node:fs"; console.log(typeof readFileSync, typeof fs.promises.stat);`);
  const r = spawnSync(process.execPath, [join(dir, "named.out.mjs")], { encoding: "utf8" });
  assert.equal(r.stdout.trim(), "function function", r.stderr);
});

// node:zlib is taken on first use of its default export (scripts/bundle.mjs, lazyDefault): a run that
// never compresses does not load it; one that does gets the whole module; a named import fails the build.
test("node:zlib's default export loads zlib on first use, works whole, and a named import of it fails the build", async () => {
  await bundleOf(
    "zlib",
    `import zlib from "node:zlib";
     const before = process.moduleLoadList.includes("NativeModule zlib");
     const packed = zlib.deflateRawSync(Buffer.from("mailprobe"));
     console.log(before, process.moduleLoadList.includes("NativeModule zlib"), zlib.inflateRawSync(packed).toString(), typeof zlib.constants.Z_DEFAULT_STRATEGY, "createDeflateRaw" in zlib, Object.keys(zlib).includes("gzipSync"));`,
  );
  const r = spawnSync(process.execPath, [join(dir, "zlib.out.mjs")], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), "false true mailprobe number true true");
  await assert.rejects(bundleOf("zlibNamed", `import { gzipSync } from "node:zlib"; console.log(typeof gzipSync);`), /No matching export|gzipSync/);
});
