// The shipped entry point: dist/cli/bin.js and its production dependencies bundled by esbuild into
// dist/bundle/ (ESM, code-split, so a run still loads only its own sender). Starts about twice as
// fast as the unbundled tree (docs/benchmarks.md). Source maps: tsc's maps (src/ → dist/) are read
// by esbuild and chained into linked .map files beside the chunks, without the sources' text
// (sourcesContent: false keeps them small); dist/cli/entry.js turns them on before loading the rest.
import { existsSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules, createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const requireHere = createRequire(import.meta.url);

// Load-time cuts in dependencies, each measured on Node 24 (docs/benchmarks.md, "Start-up").
/** A namespace import's missing export is undefined at run time: a build error instead (see lighter). */
export const logOverride = { "import-is-undefined": "error" };

/**
 * Rewrites a dependency's file as it is bundled: each [from, to] replaces text that must be there
 * (and `also`, when given, must hold of the original), else the build fails naming the file, so an
 * upgrade that moved the code is noticed instead of silently shipping the old cost.
 */
function patch(b, filter, what, edits, also = () => true) {
  b.onLoad({ filter }, (a) => {
    const before = readFileSync(a.path, "utf8");
    if (!edits.every(([from]) => before.includes(from)) || !also(before)) throw new Error(`scripts/bundle.mjs: ${what} changed; update its patch`);
    return { contents: edits.reduce((text, [from, to]) => text.replace(from, to), before), loader: "js" };
  });
}

/** Bundles `contents` wherever `name` is imported or required. */
function stub(b, name, contents) {
  b.onResolve({ filter: new RegExp(`^${name}$`) }, () => ({ path: `${name}-stub`, namespace: "stub" }));
  b.onLoad({ filter: new RegExp(`^${name}-stub$`), namespace: "stub" }, () => ({ contents, loader: "js" }));
}

export const lighter = {
  name: "lighter",
  setup(b) {
    // An ESM import of a Node built-in builds a facade that reads every export once, and reading
    // starts what the lazy getters stand for: node:fs's ReadStream loads the whole streams
    // subsystem (~10 ms of `--help`), Node 24's WebSocket/EventSource getters on node:http load
    // undici (~10-18 ms), node:fs's F_OK… are deprecated getters on Node 24 (a warning on every
    // start). So every `import … from "node:x"` becomes a require() of x whose exports are
    // re-exported by name (as the building Node lists them), except those getters: they stay
    // reachable through the default export, and importing one by name fails the build
    // ("No matching export"), never a run; so does reading one off `import * as` (esbuild's
    // import-is-undefined, an error by logOverride below).
    const builtins = new Set(builtinModules);
    const heavyGetters = new Set([
      "ReadStream",
      "WriteStream",
      "FileReadStream",
      "FileWriteStream",
      "Utf8Stream",
      "promises",
      "F_OK",
      "R_OK",
      "W_OK",
      "X_OK",
      "WebSocket",
      "CloseEvent",
      "MessageEvent",
      "EventSource",
      "rootCertificates",
      "webcrypto",
      "subtle",
      "fips",
      "StreamWrap",
      "_stdout",
      "_stderr",
    ]);
    // Built-ins only ever imported whole (`import zlib from "node:zlib"`) by code that may not need
    // them in a run: required when first used (node:zlib ~2.7 ms of each run, imapflow's import).
    const lazyDefault = new Set(["zlib"]);
    b.onResolve({ filter: /^[a-z_/]+$|^node:/ }, (a) => {
      const name = a.path.replace(/^node:/, "");
      // Only static imports: a dynamic import()'s namespace is read by property at run time, where a
      // left-out getter (Brevo's `(await import("fs")).promises`) would be a silent undefined. Node
      // builds that facade itself, when (if ever) the import runs.
      if (!builtins.has(name) || a.kind !== "import-statement") return undefined;
      return { path: name, namespace: "builtin-cjs" };
    });
    b.onLoad({ filter: /.*/, namespace: "builtin-cjs" }, (a) => {
      if (lazyDefault.has(a.path)) {
        // Required on first use of its default export (imapflow's COMPRESS, nodemailer's fetch); a
        // named import of it fails the build (no such export), never a run.
        const proxy = `new Proxy({}, { get: (_, k) => m()[k], has: (_, k) => k in m(), set: (_, k, v) => ((m()[k] = v), true), ownKeys: () => Reflect.ownKeys(m()), getOwnPropertyDescriptor: (_, k) => { const d = Object.getOwnPropertyDescriptor(m(), k); return d && { ...d, configurable: true }; } })`;
        return { contents: `let m_; const m = () => (m_ ??= require("node:${a.path}")); export default ${proxy};`, loader: "js" };
      }
      const names = Object.keys(Object.getOwnPropertyDescriptors(requireHere(`node:${a.path}`))).filter(
        (k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== "default" && !heavyGetters.has(k),
      );
      return { contents: `const m = require("node:${a.path}"); export default m; export const { ${names.join(", ")} } = m;`, loader: "js" };
    });
    // zod's classic API re-exports every locale (z.locales, ~260 KB of the config chunk); mailprobe
    // speaks English only (zod's own default, imported by its schemas directly): leave the others out.
    b.onResolve({ filter: /[\\/]locales[\\/]index\.js$/ }, (a) =>
      /[\\/]zod[\\/]/.test(a.importer) ? { path: "zod-locales-stub", namespace: "stub" } : undefined,
    );
    b.onLoad({ filter: /^zod-locales-stub$/, namespace: "stub" }, () => ({ contents: "export {};", loader: "js" }));
    // The Brevo SDK's fetcher builds its request headers with fetcher/Headers.mjs, which takes the
    // global Headers when there is one: Node's is undici's, and its first use loads undici (~11 MiB,
    // ~50 ms on Node 24) in a run that sends through mailprobe's own fetch (net/http-fetch.ts). The
    // module carries a Headers of its own for runtimes without one: use that.
    patch(b, /@getbrevo[\\/]brevo[\\/]dist[\\/]esm[\\/]core[\\/]fetcher[\\/]Headers\.mjs$/, "the Brevo SDK's fetcher/Headers.mjs", [
      ['if (typeof globalThis.Headers !== "undefined") {', "if (false) {"],
    ]);
    // yaml's CommonJS build (Node's export condition) is 72 modules each in its own esbuild wrapper,
    // compiled when first required; its ESM build (the "default" condition, the same code) is hoisted
    // into one scope with what the loader does not use left out. The one difference, a warning through
    // console.warn rather than process.emitWarning, does not arise: src/config/yaml.ts parses with
    // logLevel "error".
    const yamlEsm = requireHere.resolve("yaml").replace(/[\\/]dist[\\/]index\.js$/, "/browser/dist/index.js");
    if (!existsSync(yamlEsm)) throw new Error(`scripts/bundle.mjs: yaml's ESM build moved (${yamlEsm}); update the yaml swap`);
    b.onResolve({ filter: /^yaml$/ }, () => ({ path: yamlEsm }));
    // pino's transports (worker threads, thread-stream): mailprobe logs through pino.destination to
    // stderr, never a transport; thread-stream's require of worker_threads cost ~2.5 ms of each start.
    stub(b, "thread-stream", "module.exports = class ThreadStream { constructor() { throw new Error('pino transports are not part of mailprobe'); } };");
    // pino's tools.js requires worker_threads (~2.5 ms) for isMainThread, read only for an async destination.
    // Its only other mention must be the one read (the isMainThread now a function would be truthy).
    patch(
      b,
      /[\\/]pino[\\/]lib[\\/]tools\.js$/,
      "pino's lib/tools.js",
      [
        [
          "const { isMainThread } = require('worker_threads')",
          "let isMainThread_; const isMainThread = () => (isMainThread_ ??= require('worker_threads').isMainThread)",
        ],
        ["if (!opts.sync && isMainThread) {", "if (!opts.sync && isMainThread()) {"],
      ],
      (before) => (before.match(/isMainThread/g) ?? []).length === 2,
    );
    // prom-client's index requires its Pushgateway client, which requires node:zlib (~3 ms) for a
    // gzip option mailprobe never sets (its sink pushes through src/net/http-fetch.ts): on first use.
    patch(b, /[\\/]prom-client[\\/]lib[\\/]pushgateway\.js$/, "prom-client's lib/pushgateway.js", [
      ["const { gzipSync } = require('zlib');", "const gzipSync = (...args) => require('zlib').gzipSync(...args);"],
    ]);
    // sonic-boom (pino.destination) requires node:assert (~3 ms) for one check of a file descriptor.
    patch(b, /[\\/]sonic-boom[\\/]index\.js$/, "sonic-boom's index.js", [
      ["const assert = require('assert')", "const assert = (ok, message) => { if (!ok) throw new Error(message) }"],
    ]);
    // imapflow's SOCKS proxy support (socks, ip-address, smart-buffer): mailprobe never sets its `proxy`.
    stub(b, "socks", "export const SocksClient = { createConnection() { throw new Error('SOCKS proxies are not supported'); } };");
    // mailsplit require()s libmime's CommonJS build, imapflow imports its ESM build: keep one copy.
    const libmimeEsm = requireHere.resolve("libmime").replace(/[\\/]dist[\\/].*$/, "/dist/esm/libmime.js");
    b.onResolve({ filter: /^libmime$/ }, (a) => (a.kind === "require-call" ? { path: "libmime-cjs", namespace: "stub" } : undefined));
    b.onLoad({ filter: /^libmime-cjs$/, namespace: "stub" }, () => ({
      contents: `module.exports = require(${JSON.stringify(libmimeEsm)}).default;`,
      loader: "js",
      resolveDir: ".",
    }));
    // libmime builds iconv-lite's GBK table at import (~17 ms) only to compare a codec with it: on first use instead.
    patch(b, /libmime[\\/]dist[\\/]esm[\\/]charset\.js$/, "libmime's charset.js", [
      [
        "const DBCS_DECODER = iconv.getCodec('gbk').decoder;",
        "let DBCS_DECODER_; const dbcsDecoder = () => (DBCS_DECODER_ ??= iconv.getCodec('gbk').decoder);",
      ],
      ["codec.decoder === DBCS_DECODER", "codec.decoder === dbcsDecoder()"],
    ]);
  },
};

const { name, version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));

// Run as `node scripts/bundle.mjs` it builds; imported (test/ship/bundle-builtins.test.ts takes the
// plugin) it builds nothing. Node gives the main module's real path, so argv[1] is compared as one.
if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) await bundle();

async function bundle() {
  rmSync("dist/bundle", { recursive: true, force: true });
  const result = await build({
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
    logOverride,
    define: { __MAILPROBE_VERSION__: JSON.stringify(version) },
    plugins: [lighter],
    metafile: true,
    // CommonJS dependencies call require() for Node's built-ins. (The entry's own #! line, which makes
    // the bin a command, stays first in its chunk: esbuild writes a hashbang before the banner.)
    banner: { js: "import { createRequire as __mpCreateRequire } from 'node:module'; const require = __mpCreateRequire(import.meta.url);" },
  });

  // The SBOM: exactly the packages whose code esbuild put into the bundle (its metafile), so the
  // package and the image carry no node_modules and still name every third-party component.
  writeFileSync("dist/sbom.cdx.json", JSON.stringify(sbom(Object.keys(result.metafile.inputs)), null, 2) + "\n");
}

function sbom(inputs) {
  const roots = new Set();
  for (const input of inputs) {
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) roots.add(m[1]);
  }
  const seen = new Map();
  for (const root of roots) {
    const pkg = JSON.parse(readFileSync(`${root}/package.json`, "utf8"));
    const ref = `pkg:npm/${pkg.name.replace(/^@/, "%40")}@${pkg.version}`;
    const license = typeof pkg.license === "string" ? pkg.license : undefined;
    seen.set(ref, {
      type: "library",
      "bom-ref": ref,
      name: pkg.name,
      version: pkg.version,
      purl: ref,
      ...(license ? { licenses: [/^[A-Za-z0-9.+-]+$/.test(license) ? { license: { id: license } } : { expression: license }] } : {}),
    });
  }
  const components = [...seen.values()].sort((a, b) => a.purl.localeCompare(b.purl));
  const self = `pkg:npm/${name}@${version}`;
  return {
    bomFormat: "CycloneDX",
    specVersion: "1.5",
    version: 1,
    metadata: { component: { type: "application", "bom-ref": self, name, version, purl: self } },
    components,
    dependencies: [{ ref: self, dependsOn: components.map((c) => c["bom-ref"]) }],
  };
}
