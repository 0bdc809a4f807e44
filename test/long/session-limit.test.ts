// The server's own session limit reached (issue 23), on the lab's real Dovecot: it allows 64 sessions
// per user and client address (mail_max_userip_connections; Dovecot's default is 10). Plain clients
// hold every session of scale50@lab.test from 127.0.0.1 that it allows: a probe's paths logging in as that user are
// refused with `NO [LIMIT]`, and each path's detail says what happened and which setting to change.
// With three of them given back, imapSessionsPerUser: 1 lets two probes of one path each to that login
// take turns, and both succeed. (Seen here: Dovecot's count lags a session's end, so the test fills until
// refused and never stands on the exact edge.)
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { ImapFlow } from "imapflow";
import { addr, mx, paths, port, scaleAccounts } from "../lab/topology.js";
import { labConfig, runCli } from "../helpers/cli.js";

const account = scaleAccounts[49]!;
const DOVECOT_LIMIT = 64;
const held: ImapFlow[] = [];

function client(): ImapFlow {
  const c = new ImapFlow({
    host: addr.listen,
    port: port.imapsStock,
    secure: true,
    tls: { ca: readFileSync(paths.caCert), servername: mx.hostname },
    auth: { user: account.user, pass: account.password },
    logger: false,
  });
  c.on("error", () => undefined);
  return c;
}

before(async () => {
  // Up to the server's limit, in batches (each session is a login and an imap process for Dovecot):
  // its count lags a session's end a little, so fill until it refuses rather than to exactly 64.
  for (let full = false; !full && held.length < DOVECOT_LIMIT + 8;) {
    const batch = Array.from({ length: 8 }, client);
    const opened = await Promise.allSettled(batch.map((c) => c.connect()));
    opened.forEach((o, i) => (o.status === "fulfilled" ? held.push(batch[i]!) : (full = true)));
  }
});
after(async () => {
  await Promise.all(held.map((c) => c.logout().catch(() => c.close())));
});

/** `probes` probes of `pathsEach` paths each, every path logging in as the account at the same listener. */
const config = (sessions: number, probes: number, pathsEach: number) =>
  labConfig((c) => {
    const base = c.probes[0];
    delete base.relayCheck;
    delete c.pushgateway;
    c.imapSessionsPerUser = sessions;
    c.probes = Array.from({ length: probes }, (_, i) => ({
      ...base,
      name: `limit_${sessions}_${i}`,
      to: account.user,
      imap: { ...base.imap, user: account.user, password: account.password },
      paths: Array.from({ length: pathsEach }, (_, j) => ({ name: `p${j}`, host: "127.0.0.1", port: port.imapsStock })),
    }));
  });

test("at the server's limit the paths are refused with [LIMIT], and the detail names mail_max_userip_connections and imapSessionsPerUser", async () => {
  const r = await runCli(["run", "--config", config(4, 1, 2), "--json"]);
  assert.equal(r.code, 1, r.stderr);
  const ps = r.json.probes[0].paths;
  assert.equal(ps.length, 2);
  for (const p of ps) {
    assert.equal(p.reason, "imap_auth");
    assert.match(p.detail, /^login refused \[LIMIT\]: .*mail_max_userip_connections.*imapSessionsPerUser/);
  }
});

test("with imapSessionsPerUser: 1 two probes' paths to that login take turns below the server's limit and both succeed", async () => {
  await Promise.all(held.splice(0, 3).map((c) => c.logout()));
  await new Promise((r) => setTimeout(r, 1000));
  const r = await runCli(["run", "--config", config(1, 2, 1), "--json"]);
  const ps = r.json?.probes.flatMap((p: any) => p.paths);
  assert.equal(r.code, 0, JSON.stringify(ps) + r.stderr);
  // The second waited for the first's whole run: its open is the longer one by about that much.
  const [a, b] = ps.map((p: any) => p.openSeconds).sort((x: number, y: number) => x - y);
  assert.ok(b > a, JSON.stringify(ps));
});
