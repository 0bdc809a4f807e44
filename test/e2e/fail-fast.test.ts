// Issue 14 end to end against the real lab: a verdict as soon as the facts are in. Junk is found by
// the wait itself (STATUS Junk on the same session), Brevo's hard bounce (the fake Brevo's fault)
// ends the wait, a message that arrives before SELECT is found by the look back below UIDNEXT, and a
// run whose paths cannot open still sends and takes the sender's verdict. These tests assert *how*
// each verdict was reached (during the wait, not by cleanup); how fast is the benchmark's job
// (bench/verdict.ts), never asserted here.
import assert from "node:assert/strict";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { connect as tlsConnect, createServer as createTlsServer, type TLSSocket } from "node:tls";
import { addr, paths, port } from "../lab/topology.js";
import { labConfig, runCli } from "../helpers/cli.js";
import { ca, countWithToken, fakeBrevo } from "../helpers/lab.js";

const fault = (f: Record<string, unknown>) => fakeBrevo("/__lab/fault", { method: "POST", body: JSON.stringify(f) });

function quiet(c: any): void {
  delete c.pushgateway;
  delete c.probes[0].kuma;
  for (const p of c.probes[0].paths) delete p.kuma;
}

test("a message filed into Junk is found while waiting (STATUS Junk on the same session), not by cleanup's last look", async () => {
  const cfg = labConfig((c) => {
    c.probes[0].name = "ff_junk";
    c.probes[0].timeoutSeconds = 30;
    // Dovecot files +Junk into the Junk mailbox, as a spam filter would.
    c.probes[0].to = "probe+Junk@lab.test";
    quiet(c);
  });
  const res = await runCli(["run", "--config", cfg, "--json"]);
  assert.equal(res.code, 1, res.stderr);
  const r = res.json.probes[0];
  for (const p of r.paths) {
    assert.equal(p.reason, "landed_in_junk", JSON.stringify(p));
    assert.equal(p.foundIn, "Junk");
    assert.equal(p.foundDuring, "wait", "found by the wait, not by cleanup after the deadline");
  }
  assert.equal(r.cleanup.deleted, 1);
});

test("Brevo records a hard bounce: the wait reads its event log and ends with not_delivered + upstream_bounced", async () => {
  await fault({ mode: "hardBounce", delayMs: 500 });
  try {
    const cfg = labConfig((c) => {
      c.probes[0].name = "ff_bounce";
      c.probes[0].timeoutSeconds = 60;
      quiet(c);
    });
    const res = await runCli(["run", "--config", cfg, "--json"], { timeoutMs: 90_000 });
    assert.equal(res.code, 1, res.stderr);
    const r = res.json.probes[0];
    assert.deepEqual(
      r.paths.map((p: any) => p.reason),
      ["not_delivered", "not_delivered"],
    );
    assert.match(r.paths[0].detail, /the sender reports upstream_bounced .*stopped waiting/);
    assert.equal(r.diagnosis.code, "upstream_bounced");
    assert.equal(r.diagnosis.during, "wait", "the diagnosis came from the wait's reading of the log, not from cleanup");
    assert.match(r.diagnosis.detail, /hardBounces/);
  } finally {
    await fault({ mode: "none" });
  }
});

test("no path can open: the message is still sent and the run takes Brevo's verdict (invalid) while waiting", async () => {
  await fault({ mode: "invalid", delayMs: 200 });
  try {
    const cfg = labConfig((c) => {
      c.probes[0].name = "ff_noimap";
      c.probes[0].timeoutSeconds = 60;
      // Nothing listens there (a closed loopback port): connection refused.
      for (const p of c.probes[0].paths) p.port = 1;
      quiet(c);
    });
    const res = await runCli(["run", "--config", cfg, "--json"], { timeoutMs: 90_000 });
    assert.equal(res.code, 1, res.stderr);
    const r = res.json.probes[0];
    assert.equal(r.send.ok, true, "sent although no path could read it");
    assert.equal(r.paths[0].reason, "imap_connect");
    assert.equal(r.diagnosis.code, "upstream_bounced");
    assert.equal(r.diagnosis.during, "wait");
    assert.ok(
      r.send.notes.some((n: string) => /left to the stale sweep/.test(n)),
      JSON.stringify(r.send.notes),
    );
  } finally {
    await fault({ mode: "none" });
  }
});

/**
 * A small loopback IMAPS proxy of ours (the lab's certificate) in front of Dovecot's stock IMAPS that
 * holds every client chunk containing SELECT for `delayMs`: the message is stored before the
 * mailbox is open, so it sits below the UIDNEXT the probe sees.
 */
async function delayingProxy(delayMs: number): Promise<{ port: number; selects: number[]; close: () => void }> {
  const selects: number[] = [];
  const sockets = new Set<TLSSocket>();
  const server = createTlsServer({ key: readFileSync(join(paths.tls, "mx.key")), cert: readFileSync(join(paths.tls, "mx.crt")) }, (client) => {
    const upstream = tlsConnect({ host: addr.listen, port: port.imapsStock, ca: ca(), servername: "mx.lab.test" });
    sockets.add(client).add(upstream);
    let chain = Promise.resolve();
    client.on("data", (chunk: Buffer) => {
      const held = /^\S+ SELECT /im.test(chunk.toString("latin1"));
      chain = chain.then(async () => {
        if (held) {
          await new Promise((r) => setTimeout(r, delayMs));
          selects.push(Date.now());
        }
        upstream.write(chunk);
      });
    });
    upstream.pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on("error", end).on("close", end);
    upstream.on("error", end).on("close", end);
  });
  await new Promise<void>((r) => server.listen(0, addr.listen, r));
  return {
    port: (server.address() as AddressInfo).port,
    selects,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

test("a message stored before SELECT finishes (SELECT held 2 s by a proxy of ours) is found by the look back below UIDNEXT", async () => {
  const proxy = await delayingProxy(2000);
  try {
    const cfg = labConfig((c) => {
      c.probes[0].name = "ff_early";
      c.probes[0].timeoutSeconds = 20;
      c.probes[0].paths = [{ name: "late_select", host: addr.listen, port: proxy.port }];
      quiet(c);
    });
    const res = await runCli(["run", "--config", cfg, "--json"]);
    const r = res.json.probes[0];
    assert.equal(res.code, 0, JSON.stringify(r));
    assert.equal(r.paths[0].foundDuring, "wait");
    // The SELECT really went out after the message was stored: it is older than the mailbox's open.
    assert.ok(proxy.selects.length >= 1, "the proxy held a SELECT");
    assert.ok(r.paths[0].stages.mx >= 1.5, `seen ${r.paths[0].stages.mx} s after the MX's Received date: it waited below UIDNEXT`);
    assert.equal(await countWithToken(r.token), 0, "deleted");
  } finally {
    proxy.close();
  }
});
