// Runs the benchmarks on the lab (started by scripts/bench.sh) and writes docs/benchmarks.md.
// `npm run bench` runs all; `npm run bench -- roundtrip cost` runs some (the file keeps the others).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { cost } from "./cost.js";
import { machine, N, node24, peerFailures, Report, repoRoot } from "./lib.js";
import { detection, roundtrip } from "./roundtrip.js";
import { mailboxSize, manyPaths } from "./scale.js";
import { immediate } from "./immediate.js";
import { memory } from "./memory.js";
import { start } from "./start.js";
import { verdict } from "./verdict.js";
import { scaleProbes } from "./scale-probes.js";

const ALL = {
  start,
  immediate,
  roundtrip,
  detection,
  "mailbox-size": mailboxSize,
  paths: manyPaths,
  cost,
  memory,
  verdict,
  "scale-probes": scaleProbes,
} as const;
const wanted = process.argv.slice(2).length ? (process.argv.slice(2) as (keyof typeof ALL)[]) : (Object.keys(ALL) as (keyof typeof ALL)[]);
for (const w of wanted) if (!(w in ALL)) throw new Error(`unknown benchmark ${w}; known: ${Object.keys(ALL).join(", ")}`);

const out = join(repoRoot, "docs", "benchmarks.md");
const previous = existsSync(out) ? readFileSync(out, "utf8") : "";
// Hand-written reading of the figures, kept as is below this marker.
const NOTES = "<!-- notes: written by hand, kept by bench/run-all.ts -->";
const notes = previous.includes(NOTES) ? previous.slice(previous.indexOf(NOTES)) : `${NOTES}\n`;
const generated = previous.includes(NOTES) ? previous.slice(0, previous.indexOf(NOTES)) : previous;
const kept = new Map<string, string>();
for (const m of generated.matchAll(/^<!-- bench:(\S+) -->\n([\s\S]*?)(?=^<!-- bench:|(?![\s\S]))/gm)) kept.set(m[1]!, m[2]!);

const peer = (() => {
  try {
    return execFileSync("dpkg-query", ["-W", "-f=${Version}", "monitoring-plugins-contrib"], { encoding: "utf8" });
  } catch {
    return "?";
  }
})();
const head = `# Benchmarks

Produced by \`npm run bench\` (scripts/bench.sh: installs what is missing, builds, starts the lab, runs
\`bench/run-all.ts\`, stops the lab); \`npm run bench -- <name>…\` re-runs some of
${Object.keys(ALL)
  .map((k) => `\`${k}\``)
  .join(", ")} and keeps the other sections. Figures are from the
real lab on loopback (Postfix, Dovecot, HAProxy, the fake Brevo), ${N} runs per figure unless said
(\`BENCH_N\`). Ratios are measured side by side in the same run, not against old numbers.

Machine: ${machine()}; Node ${process.version} (Node 24 figures: ${execFileSync(node24, ["--version"], { encoding: "utf8" }).trim()});
the peer: check_email_delivery from monitoring-plugins-contrib ${peer}.

`;
const write = () =>
  writeFileSync(
    out,
    head +
      Object.keys(ALL)
        .filter((k) => kept.has(k))
        .map((k) => `<!-- bench:${k} -->\n${kept.get(k)!.trimEnd()}\n\n`)
        .join("") +
      notes,
  );

// Each benchmark's section is written as soon as it is measured: a later failure keeps it.
for (const name of wanted) {
  const report = new Report();
  const t0 = Date.now();
  await ALL[name](report);
  const failures = peerFailures.splice(0);
  const failNote = failures.length ? `\nThe peer failed ${failures.length} time(s) (retried; not in the figures): ${[...new Set(failures)].join("; ")}\n` : "";
  kept.set(
    name,
    `${report.sections.join("\n")}${failNote}\n_${name}: measured ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC in ${Math.round((Date.now() - t0) / 1000)} s._\n\n`,
  );
  write();
  console.log(`\nwrote ${out} (${name})`);
}
