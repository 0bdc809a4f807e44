// A rotated Secret under `serve`, against the lab's Dovecot: kubelet rewrites a mounted Secret's
// files in place, and serve reads its config and every `…File` secret again at the start of each
// cycle. A wrong password fails the next cycle with imap_auth; an empty or missing file fails it with
// config_invalid while the process lives on (/healthz 200) and sends nothing; the right one again is
// ok. The trigger's bearerTokenFile rotates the same way. No form of any password or token, old or
// new, reaches /metrics, the /probe answers or the logs.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { makeRedactor } from "../../src/redact.js";
import { accounts, addr } from "../lab/topology.js";
import { labConfig, sleep, startCli, waitUntil } from "../helpers/cli.js";

const RIGHT = accounts.probe.password;
const WRONG = "rotated-but-wrong-imap-pw-7f3a91";
const TOKEN_1 = "rotate-trigger-token-one-5b8e20c4";
const TOKEN_2 = "rotate-trigger-token-two-c91d07aa";

test("serve picks up a rotated password file each cycle: wrong → imap_auth, empty/missing → config_invalid (process lives), right → ok; no secret leaks", async () => {
  const dir = mkdtempSync(join(tmpdir(), "mailprobe-rotate-"));
  const pwFile = join(dir, "imap-password");
  const tokenFile = join(dir, "trigger-token");
  writeFileSync(pwFile, `${RIGHT}\n`);
  writeFileSync(tokenFile, `${TOKEN_1}\n`);
  const file = labConfig((c) => {
    const p = c.probes[0];
    p.name = "rotate";
    delete p.imap.password;
    p.imap.passwordFile = pwFile;
    delete p.kuma;
    for (const path of p.paths) delete path.kuma;
    delete p.relayCheck;
    delete c.pushgateway;
    c.log = { level: "debug" };
    c.serve = {
      listen: addr.listen,
      port: 0,
      schedule: "0 0 1 1 *",
      runOnStart: false,
      trigger: { enabled: true, bearerTokenFile: tokenFile, minIntervalSeconds: 0 },
    };
  });
  const proc = startCli(["serve", "--config", file]);
  const answers: string[] = [];
  try {
    const listen = await waitUntil("serving", async () => /"listen":"([^"]+)"/.exec(proc.err())?.[1], 60_000);
    const base = `http://${listen}`;
    const cycle = async (token: string) => {
      const res = await fetch(`${base}/probe/rotate`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
      const text = await res.text();
      answers.push(text);
      return { status: res.status, body: res.status === 401 ? undefined : JSON.parse(text) };
    };
    const reasons = (r: any) => [r.reason, ...r.paths.map((p: any) => p.reason)];

    const ok = await cycle(TOKEN_1);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));

    // Rotated to a wrong password (and the trigger token to a new one): the next cycle reads both.
    writeFileSync(pwFile, `${WRONG}\n`);
    writeFileSync(tokenFile, `${TOKEN_2}\n`);
    const wrong = await cycle(TOKEN_1);
    assert.equal(wrong.status, 503);
    assert.deepEqual(reasons(wrong.body), ["imap_auth", "imap_auth", "imap_auth"]);
    assert.equal((await cycle(TOKEN_1)).status, 401, "the old trigger token is refused once the new one was read");

    // A half-written rotation: the file empty, then missing. That cycle fails, sends nothing; serve lives.
    writeFileSync(pwFile, "");
    const empty = await cycle(TOKEN_2);
    assert.equal(empty.status, 503);
    assert.deepEqual(reasons(empty.body), ["config_invalid", "config_invalid", "config_invalid"]);
    assert.match(empty.body.paths[0].detail, /passwordFile: .*imap-password is empty/);
    assert.equal(empty.body.send.attempts, 0, "nothing was sent");
    rmSync(pwFile);
    const missing = await cycle(TOKEN_2);
    assert.deepEqual(reasons(missing.body), ["config_invalid", "config_invalid", "config_invalid"]);
    assert.match(missing.body.paths[0].detail, /cannot read .*imap-password: ENOENT/);
    assert.equal(proc.child.exitCode, null, "the process lives on");
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    assert.match(proc.err(), /"msg":"config reload failed: this cycle fails \(config_invalid\); the next one tries again"/);

    // Rotated back: ok again.
    writeFileSync(pwFile, `${RIGHT}\n`);
    const back = await cycle(TOKEN_2);
    assert.equal(back.status, 200, JSON.stringify(back.body));

    const metrics = await (await fetch(`${base}/metrics`)).text();
    assert.match(metrics, /^mailprobe_failure_reason\{probe="rotate",path="external",reason="config_invalid"\} 0$/m);
    assert.match(metrics, /^mailprobe_runs_total\{probe="rotate",path="external",result="failure"\} 3$/m);
    proc.child.kill("SIGTERM");
    await Promise.race([proc.exited, sleep(20_000)]);
    for (const [what, text] of [
      ["/metrics", metrics],
      ["the /probe answers", answers.join("\n")],
      ["stderr (logs)", proc.err()],
      ["stdout", proc.out()],
    ] as const) {
      for (const secret of [RIGHT, WRONG, TOKEN_1, TOKEN_2]) {
        assert.equal(makeRedactor([secret])(text), text, `a form of ${secret} in ${what}`);
      }
    }
  } finally {
    proc.child.kill("SIGKILL");
  }
});
