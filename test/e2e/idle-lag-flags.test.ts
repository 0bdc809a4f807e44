// serve and watch measure a path's IDLE lag by flagging the found message \Flagged (receivers/idle-lag.ts).
// Against the lab's real Dovecot listener without UIDPLUS and without MOVE (the probe message is left in
// INBOX): a run with serve's/watch's IDLE-lag memory (RunDeps.idleLags, in process) must leave the
// message with no \Flagged — the measurement is for messages about to be expunged only.
import assert from "node:assert/strict";
import { test } from "node:test";
import { loadConfig } from "../../src/config/load.js";
import { createLogger } from "../../src/log.js";
import { createIdleLagMemory } from "../../src/probe/idle-memory.js";
import { runProbe } from "../../src/probe/run.js";
import { builtins } from "../../src/builtins.js";
import { addr, port } from "../lab/topology.js";
import { labConfig } from "../helpers/cli.js";
import { imapClient } from "../helpers/lab.js";

builtins();

test("IDLE-lag learning on a listener that leaves the probe message: no \\Flagged is left on it", { timeout: 120_000 }, async () => {
  const cfg = labConfig((c) => {
    const p = c.probes[0];
    p.paths = [{ name: "nouidplus", host: addr.noUidplusNoMove, port: port.imapsNoUidplusNoMove }];
    delete p.kuma;
  });
  const probe = loadConfig(cfg).probes[0]!;
  const log = createLogger({ level: "silent", redact: (t) => t });
  const idleLags = createIdleLagMemory();
  const r = await runProbe(probe, { log, idleLags });
  assert.equal(r.ok, true, JSON.stringify(r.paths));
  assert.equal(r.paths[0]!.cleanup?.mode, "left");
  const c = imapClient(port.imapsStock);
  await c.connect();
  try {
    await c.mailboxOpen("INBOX");
    const uids = (await c.search({ header: { "x-mailprobe-token": r.token } }, { uid: true })) || [];
    assert.equal(uids.length, 1, "the probe message is left in INBOX");
    const flags: string[] = [];
    for await (const m of c.fetch(uids.join(","), { uid: true, flags: true }, { uid: true })) flags.push(...(m.flags ?? []));
    assert.ok(flags.includes("\\Seen"), flags.join(" "));
    assert.ok(!flags.includes("\\Flagged"), `no \\Flagged left: ${flags.join(" ")}`);
  } finally {
    await c.logout();
  }
});
