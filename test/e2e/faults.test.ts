// The fault table, each on the real lab: every failure gets its reason, nothing hangs, nothing
// foreign is deleted, and no secret appears in any output (scanned at the end of the file).
import assert from "node:assert/strict";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer, type Server } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { accounts, addr, brevo, kuma, paths, port } from "../lab/topology.js";
import { labConfig, runCli, type CliRun } from "../helpers/cli.js";
import { countWithToken, fakeBrevo, imapClient } from "../helpers/lab.js";
import { allBeatsAfter, kumaPushUrl, lastBeatId } from "../lab/kuma.js";

const WRONG_PASSWORD = "Wr0ng-Imap-Pass-8812";
const BAD_KEY = "xkeysib-bad-key-5550123-DISTINCT";
const SECRETS = [brevo.apiKey, accounts.probe.password, WRONG_PASSWORD, BAD_KEY, ...kuma.tokens];
const outputs: string[] = [];
/** Kuma's newest beat before this file ran: the after-hook scans every msg Kuma recorded since. */
const kumaMark = lastBeatId();

async function run(mutate: (c: any) => void, extra: string[] = [], opts: Parameters<typeof runCli>[1] = {}): Promise<CliRun> {
  const res = await runCli(["run", "--config", labConfig(mutate), "--json", ...extra], opts);
  outputs.push(res.stdout, res.stderr);
  assert.doesNotMatch(res.stderr, /unhandled|internal error/i);
  return res;
}

const fault = (body: object) => fakeBrevo("/__lab/fault", { method: "POST", body: JSON.stringify(body) });
const noFault = () => fault({ mode: "none" });

function listen<T extends Server | HttpServer>(server: T): Promise<number> {
  return new Promise((resolve) => server.listen(0, addr.listen, () => resolve((server.address() as { port: number }).port)));
}

const short =
  (name: string, seconds = 8) =>
  (c: any) => {
    c.probes[0].name = name;
    c.probes[0].timeoutSeconds = seconds;
  };

test("Brevo 401 (bad key): send_rejected with Brevo's status (its text withheld), key never shown, exit 1, no IMAP wait", async () => {
  const res = await run((c) => {
    short("f_401")(c);
    c.probes[0].sender.apiKey = BAD_KEY;
  });
  assert.equal(res.code, 1);
  const r = res.json.probes[0];
  assert.equal(r.reason, "send_rejected");
  // The request carried the API key: the answer is reduced to its status (core/peer-text.ts).
  assert.match(r.send.detail, /Brevo.* 401\b.*answer text withheld/);
  assert.ok(r.durationSeconds < 3, `no IMAP wait, took ${r.durationSeconds} s`);
});

test("Brevo 400 (unverified sender): send_rejected with Brevo's status and error code (its text withheld: the request carried the key)", async () => {
  const res = await run((c) => {
    short("f_400")(c);
    c.probes[0].sender.from = "probe@unverified.example";
  });
  assert.equal(res.code, 1);
  assert.equal(res.json.probes[0].reason, "send_rejected");
  assert.match(res.json.probes[0].send.detail, /Brevo \(invalid_parameter\) 400: answer text withheld/);
});

test("Brevo 429 with a reset that fits: one retry after the reset, then healthy", async () => {
  await fault({ mode: "429", resetSeconds: 1, times: 1 });
  try {
    const res = await run(short("f_429ok", 15));
    assert.equal(res.code, 0, res.stdout);
    assert.equal(res.json.probes[0].send.attempts, 2);
    assert.match(res.json.probes[0].send.notes.join(" "), /rate limit: waited 1 s/);
  } finally {
    await noFault();
  }
});

test("Brevo 429 whose reset does not fit the deadline: send_rate_limited at once", async () => {
  await fault({ mode: "429", resetSeconds: 3600 });
  try {
    const res = await run(short("f_429"));
    assert.equal(res.code, 1);
    assert.equal(res.json.probes[0].reason, "send_rate_limited");
    assert.equal(res.json.probes[0].send.attempts, 1);
    assert.ok(res.ms < 6000);
  } finally {
    await noFault();
  }
});

test("Brevo 5xx twice: bounded retries with backoff, then delivered", async () => {
  await fault({ mode: "5xx", status: 502, times: 2 });
  try {
    const res = await run(short("f_5xx_ok", 15));
    assert.equal(res.code, 0, res.stdout);
    assert.equal(res.json.probes[0].send.attempts, 3);
  } finally {
    await noFault();
  }
});

test("Brevo 5xx for good: send_failed within the deadline", async () => {
  await fault({ mode: "5xx", status: 503 });
  try {
    const res = await run(short("f_5xx", 8));
    assert.equal(res.code, 1);
    assert.equal(res.json.probes[0].reason, "send_failed");
    assert.ok(res.json.probes[0].send.attempts >= 2);
    assert.ok(res.ms < 8000 + 5000, `took ${res.ms} ms`);
  } finally {
    await noFault();
  }
});

test("Brevo does not answer: send_timeout within the deadline", async () => {
  await fault({ mode: "slow", delayMs: 60_000 });
  try {
    const res = await run((c) => {
      short("f_slow", 6)(c);
      c.probes[0].sender.timeoutSeconds = 1;
    });
    assert.equal(res.code, 1);
    assert.equal(res.json.probes[0].reason, "send_timeout");
    assert.ok(res.ms < 6000 + 5000, `took ${res.ms} ms`);
  } finally {
    await noFault();
  }
});

test("Brevo accepts and never delivers: not_delivered with the upstream diagnosis", async () => {
  await fault({ mode: "blackhole" });
  try {
    const res = await run(short("f_blackhole", 4));
    assert.equal(res.code, 1);
    const r = res.json.probes[0];
    assert.equal(r.reason, "not_delivered");
    assert.equal(r.diagnosis.code, "upstream_deferred");
    assert.match(r.diagnosis.detail, /deferred/);
  } finally {
    await noFault();
  }
});

test("delivered after the deadline: not_delivered, and a later run's stale sweep removes it", async () => {
  await fault({ mode: "late", delayMs: 4000 });
  let token: string;
  try {
    const res = await run((c) => {
      short("f_late", 3)(c);
      c.probes[0].cleanup.staleAfterSeconds = 4;
    });
    assert.equal(res.code, 1);
    assert.equal(res.json.probes[0].reason, "not_delivered");
    token = res.json.probes[0].token;
  } finally {
    await noFault();
  }
  // Wait until it has landed and is older than staleAfterSeconds (token time and arrival time).
  const deadline = Date.now() + 20_000;
  while ((await countWithToken(token)) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  assert.equal(await countWithToken(token), 1, "the late message landed");
  await new Promise((r) => setTimeout(r, 5000));
  const next = await run((c) => {
    short("f_late", 3)(c);
    c.probes[0].cleanup.staleAfterSeconds = 4;
  });
  assert.equal(next.code, 0);
  assert.equal(next.json.probes[0].cleanup.stale, 1);
  assert.equal(await countWithToken(token), 0);
});

test("IMAP connection refused and a server that accepts but never greets: imap_connect, bounded", async () => {
  const silent = createServer(() => undefined);
  const silentPort = await listen(silent);
  const refused = createServer();
  const refusedPort = await listen(refused);
  await new Promise((r) => refused.close(r));
  try {
    const res = await run((c) => {
      short("f_imapconn", 6)(c);
      c.probes[0].imap.connectTimeoutSeconds = 2;
      c.probes[0].paths = [
        { name: "refused", host: addr.listen, port: refusedPort },
        { name: "silent", host: addr.listen, port: silentPort },
        { name: "internal", host: addr.listen, port: port.imapsStock },
      ];
    });
    assert.equal(res.code, 1);
    const [ref, sil, int] = res.json.probes[0].paths;
    assert.equal(ref.reason, "imap_connect");
    assert.match(ref.detail, /ECONNREFUSED/);
    assert.equal(sil.reason, "imap_connect");
    assert.ok(int.ok);
    assert.ok(res.ms < 6000 + 4000, `every wait bounded: took ${res.ms} ms`);
  } finally {
    silent.close();
  }
});

test("a server that never speaks on every path: the whole run ends within the deadline plus a constant", async () => {
  const silent = createServer(() => undefined);
  const silentPort = await listen(silent);
  try {
    const res = await run((c) => {
      short("f_hang", 3)(c);
      c.probes[0].imap.connectTimeoutSeconds = 60; // the probe deadline must still bound it
      c.probes[0].paths = [{ name: "silent", host: addr.listen, port: silentPort }];
    });
    assert.equal(res.code, 1);
    assert.equal(res.json.probes[0].paths[0].reason, "imap_connect");
    // Sent alongside the opens (issue 14): the sender's verdict is all there is; the message is left to the stale sweep.
    assert.ok(
      res.json.probes[0].send.notes.some((n: string) => /left to the stale sweep/.test(n)),
      "the result says where the message went",
    );
    assert.ok(res.ms < 3000 + 4000, `took ${res.ms} ms`);
  } finally {
    silent.close();
  }
});

test("wrong IMAP password: imap_auth, the password never printed", async () => {
  const res = await run((c) => {
    short("f_auth")(c);
    c.probes[0].paths[1].password = WRONG_PASSWORD;
  });
  assert.equal(res.code, 1);
  const [ext, int] = res.json.probes[0].paths;
  assert.ok(ext.ok);
  assert.equal(int.reason, "imap_auth");
});

test("TLS: untrusted CA, wrong name and an expired certificate all give tls", async () => {
  const expired = createTlsServer({ key: readFileSync(join(paths.tls, "mx.key")), cert: readFileSync(join(paths.tls, "expired.crt")) }, (s) =>
    s.end("* OK\r\n"),
  );
  const expiredPort = await listen(expired as unknown as Server);
  try {
    const res = await run((c) => {
      short("f_tls")(c);
      c.probes[0].paths = [
        { name: "untrusted", host: addr.listen, port: port.imapsStock, caFile: "/etc/ssl/certs/ca-certificates.crt" },
        { name: "wrongname", host: addr.listen, port: port.imapsStock, servername: "wrong.lab.test" },
        { name: "expired", host: addr.listen, port: expiredPort },
        { name: "internal", host: addr.listen, port: port.imapsStock },
      ];
    });
    assert.equal(res.code, 1);
    const byName = Object.fromEntries(res.json.probes[0].paths.map((p: any) => [p.name, p]));
    assert.equal(byName.untrusted.reason, "tls");
    assert.equal(byName.wrongname.reason, "tls");
    assert.match(byName.wrongname.detail, /wrong\.lab\.test|altnames/i);
    assert.equal(byName.expired.reason, "tls");
    assert.match(byName.expired.detail, /expired/i);
    assert.ok(byName.internal.ok);
  } finally {
    expired.close();
  }
});

test("Pushgateway down, hanging or failing: verdict and exit code unchanged, failure reported, bounded", async () => {
  const hang = createHttpServer(() => undefined);
  const hangPort = await listen(hang);
  const fail = createHttpServer((_, res) => res.writeHead(500).end("boom"));
  const failPort = await listen(fail);
  const closed = createServer();
  const closedPort = await listen(closed);
  await new Promise((r) => closed.close(r));
  try {
    for (const [label, p] of [
      ["down", closedPort],
      ["hang", hangPort],
      ["5xx", failPort],
    ] as const) {
      const res = await run((c) => {
        short(`f_gw_${label.replace("5xx", "fail")}`)(c);
        c.pushgateway.url = `http://${addr.listen}:${p}`;
        c.pushgateway.timeoutSeconds = 1;
      });
      assert.equal(res.code, 0, `${label}: ${res.stdout}`);
      const sinks = res.json.probes[0].sinks.filter((s: any) => s.sink === "pushgateway");
      assert.equal(sinks.length, 1, "no per-path pushes after the gateway failed");
      assert.equal(sinks[0].ok, false);
      assert.ok(sinks[0].ms < 3000, `${label}: push took ${sinks[0].ms} ms`);
      if (label === "5xx") assert.match(sinks[0].error, /500/);
    }
  } finally {
    hang.close();
    fail.close();
  }
});

test("Kuma down, an unknown token, a paused monitor: reported as the real Kuma answers, bounded, verdict unchanged", async () => {
  // Kuma down: nothing listens on its port (a closed loopback port).
  const closed = createServer();
  const closedPort = await listen(closed);
  await new Promise((r) => closed.close(r));
  const down = await run((c) => {
    short("f_kuma_down")(c);
    c.probes[0].kuma.pushUrl = `http://${addr.listen}:${closedPort}/api/push/${kuma.tokens[0]}`;
    for (const p of c.probes[0].paths) p.kuma.pushUrl = `http://${addr.listen}:${closedPort}/api/push/lab${p.name}`;
  });
  assert.equal(down.code, 0);
  const ks = down.json.probes[0].sinks.filter((s: any) => s.sink === "kuma");
  assert.equal(ks.length, 3);
  assert.ok(
    ks.every((s: any) => !s.ok && /ECONNREFUSED/.test(s.error) && s.ms < 6000),
    JSON.stringify(ks),
  );

  // The lab's real Kuma: an unknown token and a paused monitor are both its 404 (1.23 answers 500).
  const mark = lastBeatId();
  const res = await run((c) => {
    short("f_kuma_404")(c);
    c.probes[0].kuma.pushUrl = kumaPushUrl("UnknownTok3n");
    c.probes[0].paths[0].kuma.pushUrl = kumaPushUrl(kuma.pausedToken);
  });
  assert.equal(res.code, 0);
  const sinks = res.json.probes[0].sinks.filter((s: any) => s.sink === "kuma");
  const probeSink = sinks.find((s: any) => s.target === "f_kuma_404");
  const pausedSink = sinks.find((s: any) => s.target === `f_kuma_404/${res.json.probes[0].paths[0].name}`);
  for (const s of [probeSink, pausedSink]) {
    assert.equal(s.ok, false);
    assert.equal(s.error, "HTTP 404: Monitor not found or not active.");
  }
  // Only the third monitor (the other path's) recorded a beat.
  const beats = allBeatsAfter(mark);
  assert.equal(beats.length, 1, JSON.stringify(beats));
  assert.equal(beats[0]!.status, 1);
});

/** How many messages in the probe's INBOX have a subject containing `subject`. */
async function withSubject(subject: string): Promise<number> {
  const c = imapClient(port.imapsStock);
  await c.connect();
  try {
    await c.mailboxOpen("INBOX");
    return ((await c.search({ subject }, { uid: true })) || []).length;
  } finally {
    await c.logout();
  }
}

/** Waits (up to 30 s) until more than `before` messages have that subject. */
async function landed(subject: string, before: number): Promise<void> {
  for (const t0 = Date.now(); Date.now() - t0 < 30_000; await new Promise((r) => setTimeout(r, 200))) {
    if ((await withSubject(subject)) > before) return;
  }
  throw new Error(`no message "${subject}…" landed within 30 s`);
}

for (const sig of ["SIGTERM", "SIGINT"] as const) {
  test(`${sig} mid-cycle: aborted reported, the landed message deleted, the process exits by itself`, async () => {
    await fault({ mode: "late", delayMs: 800 });
    const subject = `mailprobe f_${sig.toLowerCase()} `;
    const before = await withSubject(subject);
    let pid = 0;
    try {
      const pending = run(
        (c) => {
          short(`f_${sig.toLowerCase()}`, 30)(c);
          // Slow polling, so the message lands and stays unseen until the signal.
          c.probes[0].imap.pollIntervalMs = 20_000;
          c.probes[0].imap.fastPollSeconds = 60;
        },
        [],
        { onSpawn: (p) => (pid = p) },
      );
      // The signal goes once the message has landed (not after a fixed time: under load the
      // delivery through postscreen and Rspamd can take longer than any fixed wait).
      await landed(subject, before);
      process.kill(pid, sig);
      const res = await pending;
      assert.equal(res.code, 1);
      const r = res.json.probes[0];
      assert.equal(r.aborted, true);
      assert.ok(
        r.paths.every((p: any) => p.reason === "aborted" && p.roundtripSeconds === undefined),
        JSON.stringify(r.paths),
      );
      assert.equal(r.cleanup.deleted, 1, "the landed message was found and deleted on the way out");
      assert.equal(await countWithToken(r.token), 0);
    } finally {
      await noFault();
    }
  });
}

test("two runs at once on one mailbox: each finds its own token, neither deletes the other's", async () => {
  const cfg = (name: string) => (c: any) => short(name, 15)(c);
  const [a, b] = await Promise.all([run(cfg("f_twin_a")), run(cfg("f_twin_b"))]);
  for (const r of [a, b]) {
    assert.equal(r.code, 0, r.stdout);
    assert.equal(r.json.probes[0].cleanup.deleted, 1);
  }
  assert.notEqual(a.json.probes[0].token, b.json.probes[0].token);
});

test("malformed YAML and unknown fields: exit 2 with the field named, nothing sent", async () => {
  const sent = async () => ((await (await fakeBrevo("/__lab/sent")).json()) as unknown[]).length;
  const before = await sent();
  const unknown = await run((c) => (c.probes[0].paths[0].passwrod = "x"));
  assert.equal(unknown.code, 2);
  assert.equal(unknown.json.issues[0].field, "probes[0].paths[0]");
  assert.match(unknown.json.issues[0].message, /unknown field "passwrod"/);
  const badUrl = await run((c) => (c.pushgateway.url = "ftp://x"));
  assert.equal(badUrl.code, 2);
  assert.equal(badUrl.json.issues[0].field, "pushgateway.url");
  assert.equal(await sent(), before);
});

after(async () => {
  // No secret in any stdout, stderr, JSON, Pushgateway metric or Kuma message of the whole table.
  const gateway = await (await fetch(`http://${addr.listen}:${port.pushgateway}/metrics`)).text();
  const kumaMsgs = allBeatsAfter(kumaMark).map((b) => b.msg ?? "");
  const haystack = [...outputs, gateway, ...kumaMsgs].join("\n");
  const hits = SECRETS.filter((s) => haystack.includes(s));
  assert.deepEqual(hits, [], "secrets leaked");
  // The scan covered the runs where a secret was in play and refused: their outputs are in the haystack.
  const covered = [...outputs].join("\n");
  for (const evidence of ['"reason": "send_rejected"', '"reason": "imap_auth"', "Monitor not found or not active"]) {
    assert.ok(covered.includes(evidence), `the scan saw no output with ${evidence}`);
  }
});
