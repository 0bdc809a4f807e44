// Property: 1,000 other messages (many imitating the probe's) survive many probe cycles with faults
// mixed in, byte for byte. Runs the orchestrator in-process against the real lab. `npm test` runs 40
// cycles (about 40 s) to stay within its time budget; MAILPROBE_SOAK_CYCLES=100 (or more) soaks longer.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";
import { builtins, loadConfig } from "../../src/index.js";
import { createLogger } from "../../src/log.js";
import { runProbe } from "../../src/probe/run.js";
import { newToken, tokenKey } from "../../src/core/token.js";
import { accounts, brevo, labTokenKey, port } from "../lab/topology.js";
import { labConfig } from "../helpers/cli.js";
import { fakeBrevo, imapClient, withLab } from "../helpers/lab.js";

builtins();

const FOREIGN = 1000;
const CYCLES = Number(process.env.MAILPROBE_SOAK_CYCLES ?? 40);

test(`${FOREIGN} foreign messages survive ${CYCLES} cycles with faults mixed in`, { timeout: 600_000 }, async () => {
  const c = imapClient(port.imapsStock);
  await c.connect();
  const tag = `prop-${Date.now()}`;
  const old = new Date(Date.now() - 3 * 86_400_000);
  const otherKey = tokenKey("not-our-key-0123456789abcdef-0123456");
  const ownKey = tokenKey(labTokenKey);
  for (let i = 0; i < FOREIGN; i++) {
    // Imitations: the probe's subject, a well-formed token of another key, our sender, our own
    // token from a foreign sender, a truncated token; and plain mail.
    const variant = i % 6;
    const token = variant === 3 ? newToken(ownKey, old.getTime()) : newToken(otherKey, old.getTime());
    const from = variant === 2 || variant === 1 ? brevo.sender : `user${i}@example.org`;
    const subject = variant === 0 ? `hello ${i}` : `mailprobe inbound ${variant === 4 ? token.slice(0, -3) : token}`;
    const header = variant === 5 ? "" : `X-Mailprobe-Token: ${variant === 4 ? token.slice(0, -3) : token}\r\n`;
    await c.append(
      "INBOX",
      `From: ${from}\r\nTo: ${accounts.probe.user}\r\nSubject: ${subject}\r\nMessage-ID: <${tag}-${i}@example.org>\r\n${header}\r\nbody ${i}\r\n`,
      [],
      old,
    );
  }
  await c.mailboxOpen("INBOX");
  const digest = async () => {
    const out = new Map<number, string>();
    const uids = (await c.search({ header: { "message-id": tag } }, { uid: true })) || [];
    for await (const m of c.fetch(uids.join(","), { uid: true, source: true }, { uid: true }))
      out.set(m.uid, createHash("sha256").update(m.source!).digest("hex"));
    return out;
  };
  const before = await digest();
  assert.equal(before.size, FOREIGN);

  const config = loadConfig(
    labConfig((cfg) => {
      cfg.probes[0].timeoutSeconds = 3;
      cfg.probes[0].cleanup.staleAfterSeconds = 5;
    }),
    {},
  );
  const probe = config.probes[0]!;
  const log = createLogger({ level: "silent", redact: (s) => s });
  const fault = (body: object) => fakeBrevo("/__lab/fault", { method: "POST", body: JSON.stringify(body) });
  const outcomes = new Map<string, number>();
  let faults = 0;
  for (let i = 0; i < CYCLES; i++) {
    let r;
    if (i % 10 === 3) {
      await fault({ mode: "blackhole" });
      r = await runProbe(probe, { log });
      await fault({ mode: "none" });
    } else if (i % 10 === 5) {
      await fault({ mode: "late", delayMs: 3500 });
      r = await runProbe(probe, { log });
      await fault({ mode: "none" });
    } else if (i % 10 === 7) {
      await fault({ mode: "5xx", times: 1 });
      r = await runProbe(probe, { log });
    } else if (i === Math.floor(CYCLES / 2) || i === CYCLES - 10) {
      r = await withLab({ proxy: "broken" }, () => runProbe(probe, { log }));
    } else if (i % 10 === 9) {
      const ctl = new AbortController();
      setTimeout(() => ctl.abort(new Error("test abort")), 150);
      r = await runProbe(probe, { log, signal: ctl.signal });
    } else {
      r = await runProbe(probe, { log });
    }
    if (!r.ok) faults++;
    const key = r.ok ? "ok" : r.reason!;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  }
  const after = await digest();
  assert.deepEqual(after, before, "every foreign message is still there, byte for byte");
  // The mix did happen: failures of several kinds, and healthy runs.
  assert.ok((outcomes.get("ok") ?? 0) >= CYCLES / 2, JSON.stringify([...outcomes]));
  assert.ok(faults >= CYCLES / 5, JSON.stringify([...outcomes]));
  assert.ok((outcomes.get("not_delivered") ?? 0) >= CYCLES / 10 && (outcomes.get("real_ip_forbidden") ?? 0) === 2, JSON.stringify([...outcomes]));
  console.log(`# property: ${FOREIGN} foreign kept over ${CYCLES} cycles; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`);

  // Leave the lab's mailbox as we found it.
  await c.messageDelete([...before.keys()].join(","), { uid: true });
  await c.logout();
});
