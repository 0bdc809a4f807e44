// Research for issue 14 (not shipped): scripts/bundle.mjs plus four load-time cuts in dependencies,
// to measure what they would save. `node bench/research/lighter-bundle.mjs dist/proto` after `npm run build`.
import { build } from "esbuild";
const out = process.argv[2];
const plugin = {
  name: "lighter",
  setup(b) {
    // An ESM import of node:http(s) builds an ESM facade that reads every export, and Node 24's
    // lazy WebSocket/EventSource getters on node:http then load undici (~10-18 ms). require() does not.
    b.onResolve({ filter: /^(node:)?https?$/ }, (a) => (a.namespace === "file" ? { path: a.path.replace(/^node:/, ""), namespace: "builtin-cjs" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "builtin-cjs" }, (a) => ({
      contents: `const m = require("node:${a.path}"); export default m; export const { request, get, createServer, Agent, globalAgent, STATUS_CODES, METHODS, IncomingMessage, ServerResponse, Server } = m;`,
      loader: "js",
    }));
    // imapflow's SOCKS proxy support: mailprobe never sets imapflow's `proxy` option.
    b.onResolve({ filter: /^socks$/ }, () => ({ path: "socks-stub", namespace: "stub" }));
    b.onLoad({ filter: /^socks-stub$/, namespace: "stub" }, () => ({
      contents: "export const SocksClient = { createConnection() { throw new Error('SOCKS proxies are not supported'); } };",
      loader: "js",
    }));
    b.onLoad({ filter: /^libmime-cjs$/, namespace: "stub" }, () => ({
      contents: `module.exports = require(${JSON.stringify(new URL("../../node_modules/libmime/dist/esm/libmime.js", import.meta.url).pathname)}).default;`,
      loader: "js",
      resolveDir: ".",
    }));
    // libmime builds iconv-lite's GBK table at import only to compare a codec with it: defer it.
    // mailsplit require()s libmime's CJS build, imapflow imports its ESM build: one copy only.
    b.onResolve({ filter: /^libmime$/ }, (a) => (a.kind === "require-call" ? { path: "libmime-cjs", namespace: "stub" } : undefined));
    b.onLoad({ filter: /libmime[\\/]dist[\\/]esm[\\/]charset\.js$/ }, async (a) => {
      const fs = await import("node:fs");
      let s = fs.readFileSync(a.path, "utf8");
      s = s.replace(
        "const DBCS_DECODER = iconv.getCodec('gbk').decoder;",
        "let DBCS_DECODER_; const dbcsDecoder = () => (DBCS_DECODER_ ??= iconv.getCodec('gbk').decoder);",
      );
      s = s.replace("codec.decoder === DBCS_DECODER", "codec.decoder === dbcsDecoder()");
      return { contents: s, loader: "js" };
    });
  },
};
await build({
  entryPoints: { mailprobe: "dist/cli/main.js" },
  outdir: out,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  keepNames: true,
  logLevel: "warning",
  define: { __MAILPROBE_VERSION__: '"0.1.0"' },
  plugins: [plugin],
  banner: { js: "import { createRequire as __mpCreateRequire } from 'node:module'; const require = __mpCreateRequire(import.meta.url);" },
});
