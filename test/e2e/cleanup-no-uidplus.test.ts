// Cleanup on servers that announce no UIDPLUS (issue 12 item 1), against the lab's real Dovecot: two
// extra listeners of the same instance whose `imap_capability` (chosen by local address) leaves out
// UIDPLUS, one with MOVE and one without. The probe INBOX holds foreign mail already flagged \Deleted
// (a mail client's pending deletes) and 1,000 look-alikes of probe messages; over many runs every
// one of them keeps its bytes and its flags, and the probe's own message is moved to the SPECIAL-USE
// \Trash (with MOVE) or left in place, flagged \Seen (without). A plain EXPUNGE would remove the
// \Deleted ones: that is what this test catches.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import type { ImapFlow } from "imapflow";
import { newToken, tokenKey } from "../../src/core/token.js";
import { accounts, addr, brevo, labTokenKey, port } from "../lab/topology.js";
import { labConfig, runCli } from "../helpers/cli.js";
import { imapClient } from "../helpers/lab.js";

const LOOKALIKES = 1000;
const DELETED_FOREIGN = 25;

function configFor(host: string, imapPort: number, name: string): string {
  return labConfig((c) => {
    const p = c.probes[0];
    p.name = name;
    p.paths = [{ name: "nouidplus", host, port: imapPort }];
    delete p.kuma;
  });
}

/** sha256 of every tagged message's full source plus its sorted flags, by Message-ID. */
async function digest(c: ImapFlow, tag: string): Promise<Map<string, string>> {
  await c.mailboxOpen("INBOX");
  const out = new Map<string, string>();
  const uids = (await c.search({ header: { "message-id": tag } }, { uid: true })) || [];
  for await (const m of c.fetch(uids.join(","), { uid: true, source: true, flags: true, envelope: true }, { uid: true })) {
    // \Recent belongs to the session that first saw a message, not to the message.
    const flags = [...(m.flags ?? [])]
      .filter((f) => f !== "\\Recent")
      .sort()
      .join(" ");
    out.set(m.envelope!.messageId!, createHash("sha256").update(m.source!).update(`\0${flags}`).digest("hex"));
  }
  return out;
}

async function findToken(c: ImapFlow, mailbox: string, token: string): Promise<{ uid: number; flags: string[] }[]> {
  await c.mailboxOpen(mailbox);
  const uids = (await c.search({ header: { "x-mailprobe-token": token } }, { uid: true })) || [];
  const out: { uid: number; flags: string[] }[] = [];
  if (uids.length)
    for await (const m of c.fetch(uids.join(","), { uid: true, flags: true }, { uid: true })) out.push({ uid: m.uid, flags: [...(m.flags ?? [])] });
  return out;
}

test(
  `no UIDPLUS: ${DELETED_FOREIGN} \\Deleted foreign messages and ${LOOKALIKES} look-alikes survive every run byte for byte; the probe message is moved to Trash (MOVE) or left (no MOVE)`,
  { timeout: 600_000 },
  async () => {
    const c = imapClient(port.imapsStock);
    await c.connect();
    const tag = `nouidplus-${Date.now()}`;
    const old = new Date(Date.now() - 2 * 3600_000);
    const otherKey = tokenKey("someone-elses-key-0123456789abcdef-xyz");
    const own = tokenKey(labTokenKey);
    const msg = (i: number, from: string, subject: string, extra = "") =>
      `From: ${from}\r\nTo: ${accounts.probe.user}\r\nSubject: ${subject}\r\nMessage-ID: <${tag}-${i}@example.org>\r\nDate: ${old.toUTCString()}\r\n${extra}\r\nbody ${i}\r\n`;
    try {
      // A mail client's pending deletes: plain mail flagged \Deleted, not yet expunged.
      for (let i = 0; i < DELETED_FOREIGN; i++) await c.append("INBOX", msg(i, `friend${i}@example.org`, `pending delete ${i}`), ["\\Deleted"], old);
      for (let i = 0; i < LOOKALIKES; i++) {
        const n = DELETED_FOREIGN + i;
        const v = i % 5;
        // Bad MAC (our key, last characters changed), a well-formed token of another key, our own valid
        // token from another sender, a truncated token, a token only in the subject from another sender.
        const good = newToken(own, old.getTime());
        const token =
          v === 0 ? good.slice(0, -2) + (good.endsWith("AA") ? "BB" : "AA") : v === 1 ? newToken(otherKey, old.getTime()) : v === 2 ? good : good.slice(0, -4);
        const from = v === 1 || v === 0 ? brevo.sender : `user${i}@example.org`;
        const header = v === 4 ? "" : `X-Mailprobe-Token: ${token}\r\n`;
        await c.append("INBOX", msg(n, from, `mailprobe nouidplus ${token}`, header), i % 7 === 0 ? ["\\Deleted"] : i % 3 === 0 ? ["\\Seen"] : [], old);
      }
      const before = await digest(c, tag);
      assert.equal(before.size, DELETED_FOREIGN + LOOKALIKES);

      const runs: [string, number, "moved-to-trash" | "left", number][] = [
        [addr.noUidplusMove, port.imapsNoUidplus, "moved-to-trash", 4],
        [addr.noUidplusNoMove, port.imapsNoUidplusNoMove, "left", 3],
      ];
      const leftTokens: string[] = [];
      for (const [host, imapPort, mode, times] of runs) {
        // A provably own stale message (our key, our sender, two hours old): the sweep's case.
        const stale = newToken(own, old.getTime());
        const staleSource = `From: ${brevo.sender}\r\nTo: ${accounts.probe.user}\r\nSubject: mailprobe nouidplus ${stale}\r\nMessage-ID: <own-stale-${imapPort}-${Date.now()}@lab.test>\r\nX-Mailprobe-Token: ${stale}\r\n\r\nleft by a crashed run\r\n`;
        await c.append("INBOX", staleSource, [], old);
        const cfg = configFor(host, imapPort, "nouidplus");
        for (let k = 0; k < times; k++) {
          const res = await runCli(["run", "--config", cfg, "--json"]);
          assert.equal(res.code, 0, res.stderr + res.stdout);
          const r = res.json.probes[0];
          const p = r.paths[0];
          assert.equal(p.ok, true, JSON.stringify(p));
          // First the promise: every foreign message keeps its bytes and flags.
          const now = await digest(c, tag);
          const changed = [...before].filter(([id, h]) => now.get(id) !== h).map(([id]) => `${id}: ${now.has(id) ? "changed" : "gone"}`);
          assert.deepEqual(changed.slice(0, 10), [], `run ${k + 1} on ${mode}: every foreign message keeps its bytes and flags (${changed.length} did not)`);
          assert.equal(now.size, before.size);
          assert.equal(p.cleanup.mode, mode, JSON.stringify(p.cleanup));
          const inInbox = await findToken(c, "INBOX", r.token);
          const inTrash = await findToken(c, "Trash", r.token);
          if (mode === "moved-to-trash") {
            assert.equal(p.deleted, true);
            assert.match(p.cleanup.detail, /moved to Trash \(UID MOVE\)/);
            assert.deepEqual(inInbox, [], "moved out of INBOX");
            assert.equal(inTrash.length, 1, "into the SPECIAL-USE \\Trash mailbox");
          } else {
            assert.equal(p.deleted, false);
            assert.match(p.cleanup.detail, /left in the mailbox \(flagged \\Seen\)/);
            assert.equal(inInbox.length, 1, "left in INBOX");
            assert.ok(inInbox[0]!.flags.includes("\\Seen") && !inInbox[0]!.flags.includes("\\Deleted"), JSON.stringify(inInbox[0]));
            assert.deepEqual(inTrash, []);
            leftTokens.push(r.token);
          }
          // The stale own message: moved by the first sweep with MOVE; counted as left behind without.
          const staleIn = await findToken(c, "INBOX", stale);
          if (mode === "moved-to-trash") {
            assert.deepEqual(staleIn, [], "the stale own message was swept (moved)");
            // At least the planted one: the junk mailbox is swept too, and earlier lab runs may have left own stale messages there.
            if (k === 0) assert.ok(r.cleanup.stale >= 1, JSON.stringify(r.cleanup));
          } else {
            assert.equal(staleIn.length, 1, "the stale own message stays without UIDPLUS and MOVE");
            // Runs of this test leave their own messages too (younger than staleAfter): only the planted one is stale.
            assert.ok(p.leftBehind >= 1, JSON.stringify(p));
            assert.match(res.stdout, /"leftBehind": [1-9]/);
          }
        }
      }
      // Human output says the mode too.
      const human = await runCli(["run", "--config", configFor(addr.noUidplusNoMove, port.imapsNoUidplusNoMove, "nouidplus")]);
      assert.match(human.stdout, /nouidplus: cleanup left: uid \d+ left in the mailbox/);
      assert.match(human.stdout, /stale probe message\(s\) left behind/);
    } finally {
      // Tidy up with the stock listener (UIDPLUS): this test's own messages, by UID EXPUNGE only.
      for (const box of ["INBOX", "Trash"]) {
        await c.mailboxOpen(box);
        const mine = [
          ...((await c.search({ header: { "message-id": tag } }, { uid: true })) || []),
          ...((await c.search({ subject: "mailprobe nouidplus" }, { uid: true })) || []),
        ];
        if (mine.length) await c.messageDelete([...new Set(mine)].join(","), { uid: true });
      }
      await c.logout();
    }
  },
);

test("doctor: the cleanup mode per path as a warning (exit 0), and the missing token key as a warning in human and JSON output", async () => {
  const cfg = labConfig((c) => {
    const p = c.probes[0];
    p.paths = [
      { name: "stock", host: addr.listen, port: port.imapsStock },
      { name: "move", host: addr.noUidplusMove, port: port.imapsNoUidplus },
      { name: "nomove", host: addr.noUidplusNoMove, port: port.imapsNoUidplusNoMove },
    ];
    delete p.kuma;
    delete c.tokenKey;
  });
  const res = await runCli(["doctor", "--config", cfg, "--json"]);
  assert.equal(res.code, 0, res.stdout + res.stderr);
  const check = (scope: string, name: string) => res.json.checks.find((x: any) => x.scope === scope && x.check === name);
  assert.equal(check("inbound/stock", "cleanup").status, "ok");
  assert.match(check("inbound/stock", "cleanup").detail, /^uid-expunge/);
  assert.equal(check("inbound/move", "cleanup").status, "warn");
  assert.match(check("inbound/move", "cleanup").detail, /^moved-to-trash: .*Trash \(SPECIAL-USE \\Trash\)/);
  assert.equal(check("inbound/nomove", "cleanup").status, "warn");
  assert.match(check("inbound/nomove", "cleanup").detail, /^left: .*neither UIDPLUS nor MOVE/);
  assert.equal(check("config", "token key").status, "warn");
  assert.equal(res.json.warnings[0].code, "no_token_key");
  assert.match(res.stderr, /no_token_key/, "and a log warning");
  const human = await runCli(["doctor", "--config", cfg]);
  assert.equal(human.code, 0);
  assert.match(human.stdout, /inbound\/nomove\s+cleanup\s+WARN\s+left:/);
  assert.match(human.stdout, /config\s+token key\s+WARN\s+no_token_key: no tokenKey: the stale sweep is off/);
  assert.match(human.stdout, /openssl rand -hex 32/);
});
