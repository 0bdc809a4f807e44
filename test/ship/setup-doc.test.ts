// docs/setup.md quotes the lab's real, tested server configuration: every line of its Postfix and
// Dovecot snippets is a line of the named file in test/lab/conf/, and every line of its HAProxy
// snippet is a line of the config test/lab/lab.ts renders (placeholders filled with the lab's
// addresses and ports). A change to the lab that the doc does not follow fails here.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../helpers/cli.js";
import { DEFAULT_STATE, haproxyConfig } from "../lab/lab.js";
import { addr, port } from "../lab/topology.js";

const doc = readFileSync(join(repoRoot, "docs", "setup.md"), "utf8");
const lines = (s: string) =>
  s
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean);

/** The first code block after the paragraph that names `marker`. */
function blockAfter(marker: string): string[] {
  const at = doc.indexOf(marker);
  assert.ok(at >= 0, `docs/setup.md names ${marker}`);
  const m = /```[a-z]*\n([\s\S]*?)```/.exec(doc.slice(at));
  assert.ok(m, `a code block after ${marker}`);
  return lines(m[1]!);
}

test("docs/setup.md's Postfix and Dovecot snippets are lines of the lab's tested files", () => {
  for (const file of ["postfix-master.cf", "dovecot.conf"]) {
    const real = new Set(lines(readFileSync(join(repoRoot, "test", "lab", "conf", file), "utf8")));
    const quoted = blockAfter(`test/lab/conf/${file}`);
    assert.ok(quoted.length >= 5, file);
    for (const l of quoted) assert.ok(real.has(l), `${file} has the line: ${l}`);
  }
  assert.match(readFileSync(join(repoRoot, "test", "lab", "conf", "postfix-main.cf"), "utf8"), /^postscreen_upstream_proxy_timeout = 3s$/m);
  assert.match(doc, /`postscreen_upstream_proxy_timeout = 3s`/);
});

test("docs/setup.md's HAProxy snippet is what the lab renders with PROXY on", () => {
  const fill = (l: string) =>
    l
      .replaceAll("{{LISTEN}}", addr.listen)
      .replaceAll("{{SNAT}}", addr.snat)
      .replaceAll("{{EXT_SMTP}}", String(port.extSmtp))
      .replaceAll("{{SMTP_ALT}}", String(port.smtpAlt))
      .replaceAll("{{IMAPS_ALT}}", String(port.imapsAlt));
  const real = new Set(lines(haproxyConfig({ ...DEFAULT_STATE, proxy: "ok" })));
  const quoted = blockAfter("haproxyConfig()");
  assert.ok(quoted.some((l) => l.includes("send-proxy-v2")));
  for (const l of quoted) assert.ok(real.has(fill(l)), `the lab's haproxy.cfg has the line: ${fill(l)}`);
});
