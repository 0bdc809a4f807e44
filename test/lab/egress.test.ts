// Nothing leaves the machine: while the lab restarts Rspamd (when it would fetch remote maps) and
// Uptime Kuma (when it would check uptime.kuma.pet for updates) and filters deliveries (SPF, DKIM,
// DMARC, and whatever else it looks up), no packet from the users the lab's daemons run as goes to a
// non-loopback address. The witness is an nftables counter on the
// OUTPUT hook (a rule that only counts, never drops), matched on the socket owner's uid; the test
// also proves that the counter does see a deliberate UDP datagram to 1.1.1.1 sent as _rspamd; and a lab
// whose Rspamd used the system resolver with its stock modules made this test fail (42 packets counted).
// Rspamd's main process stays root, but only forks and reads its config: its workers (maps, DNS,
// fuzzy, HTTP) run as _rspamd.
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { uniqueToken } from "../helpers/lab.js";
import { DEFAULT_STATE, set, userIds } from "./lab.js";
import { sendSpam, sendViaBrevo, waitForStored } from "./mx.js";
import { startKuma, stopKuma } from "./kuma.js";
import { basePort } from "./topology.js";

const run = promisify(execFile);
/** One table per lab, so that two labs can run the test side by side. */
const table = `mailprobe_egress_${basePort}`;
/** The users of the lab's daemons: Rspamd's workers, unbound, Postfix's, Uptime Kuma's (nobody). */
const users = ["_rspamd", "unbound", "postfix", "nobody"];

/** Packets counted so far (IPv4 and IPv6 rules). */
async function counted(): Promise<number> {
  const { stdout } = await run("nft", ["list", "table", "inet", table]);
  return [...stdout.matchAll(/counter packets (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

before(async () => {
  await run("nft", ["delete", "table", "inet", table]).catch(() => undefined);
  const uids = users.map((u) => userIds(u).uid).join(", ");
  await run("nft", ["add", "table", "inet", table]);
  await run("nft", ["add", "chain", "inet", table, "out", "{ type filter hook output priority 0 ; policy accept ; }"]);
  await run("nft", ["add", "rule", "inet", table, "out", "meta", "skuid", `{ ${uids} }`, "ip", "daddr", "!=", "127.0.0.0/8", "counter"]);
  await run("nft", ["add", "rule", "inet", table, "out", "meta", "skuid", `{ ${uids} }`, "ip6", "daddr", "!=", "::1", "counter"]);
});

after(async () => {
  await run("nft", ["delete", "table", "inet", table]).catch(() => undefined);
});

test("no packet to a non-loopback address while Rspamd starts and the lab filters deliveries", async () => {
  const start = await counted();
  // A restart: the moment Rspamd's stock config would fetch maps.rspamd.com and open fuzzy sockets.
  await set({ ...DEFAULT_STATE, rspamd: "down" });
  await set({ ...DEFAULT_STATE });
  // A restart on its data: the moment Kuma would check for updates (off: the lab seeds checkUpdate=false).
  await stopKuma();
  await startKuma({ keepData: true });
  const brevoSubject = uniqueToken();
  const spamSubject = uniqueToken();
  await sendViaBrevo(brevoSubject);
  await sendSpam(spamSubject);
  await waitForStored(brevoSubject);
  await waitForStored(spamSubject);
  // Rspamd's map watcher and periodic tasks get a moment too.
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal((await counted()) - start, 0, `packets to non-loopback addresses: nft list table inet ${table}`);
});

test("the witness works: a UDP datagram to 1.1.1.1 sent as _rspamd is counted", async () => {
  const start = await counted();
  const { uid, gid } = userIds("_rspamd");
  const code = `const s = require("node:dgram").createSocket("udp4"); s.send(Buffer.from("x"), 53, "1.1.1.1", () => s.close());`;
  await new Promise<void>((resolve, reject) => {
    const p = spawn(process.execPath, ["-e", code], { uid, gid });
    p.once("error", reject);
    p.once("exit", (c) => (c === 0 ? resolve() : reject(new Error(`sender exited ${c}`))));
  });
  assert.ok((await counted()) - start >= 1, "the nftables counter did not see the datagram: the egress test would prove nothing");
});
