// Review 1, finding 2: a junk mailbox that does not exist (Dovecot often creates Junk only on the
// first filing, or the name is wrong) must not fail the run nor leave the message behind. On the
// real lab with junkMailbox: Spam (no such mailbox) and the fake Brevo delivering 3 s late: the
// INBOX wait goes on, the run is healthy, the message is deleted, the result and the log say why
// the Junk checks were off; doctor warns and names the field.
import assert from "node:assert/strict";
import { test } from "node:test";
import { labConfig, runCli } from "../helpers/cli.js";
import { countWithToken, fakeBrevo } from "../helpers/lab.js";

const fault = (body: object) => fakeBrevo("/__lab/fault", { method: "POST", body: JSON.stringify(body) });
const spam = (c: any) => {
  c.probes[0].name = "junk_missing";
  c.probes[0].timeoutSeconds = 15;
  c.probes[0].imap.junkMailbox = "Spam";
};

test("junkMailbox names a mailbox that does not exist: the run waits on INBOX, is healthy and deletes its late message", async () => {
  await fault({ mode: "late", delayMs: 3000 });
  let res;
  try {
    res = await runCli(["run", "--config", labConfig(spam), "--json"]);
  } finally {
    await fault({ mode: "none" });
  }
  const p = res.json.probes[0];
  assert.equal(res.code, 0, `exit 0 (${res.stderr.slice(-2000)})`);
  assert.equal(p.ok, true);
  for (const path of p.paths) {
    assert.equal(path.ok, true, `${path.name}: ${path.reason} ${path.detail}`);
    assert.equal(path.foundIn, "INBOX");
    assert.match(path.notes?.join(" ") ?? "", /junk mailbox "Spam" cannot be read .*Junk checks are off.*junkMailbox/);
  }
  assert.ok(p.paths.some((path: any) => path.deleted));
  assert.equal(await countWithToken(p.token), 0, "the message is deleted");
  assert.match(res.stderr, /path note/);
});

test("doctor warns when the junk mailbox is absent and names the field; ok when it exists", async () => {
  const bad = await runCli(["doctor", "--config", labConfig(spam), "--json"]);
  const junk = bad.json.checks.filter((c: any) => c.check === "junk mailbox");
  assert.equal(junk.length, 2, "one junk mailbox check per path");
  for (const c of junk) {
    assert.equal(c.status, "warn");
    assert.match(c.detail, /Spam cannot be read/);
    assert.match(c.hint, /junkMailbox/);
  }
  const good = await runCli(["doctor", "--config", labConfig(), "--json"]);
  for (const c of good.json.checks.filter((c: any) => c.check === "junk mailbox")) assert.equal(c.status, "ok", c.detail);
});
