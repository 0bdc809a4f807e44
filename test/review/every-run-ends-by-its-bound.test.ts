// Promise 3 (every run ends by its bound): the IDLE-lag measurement (serve and watch, per path) opens
// a second IMAP session. Its connect was raced with the caller's signal, but the session itself was
// never closed when the signal won: a server that greets and then never answers LOGIN (or trickles)
// kept that connection open after the call had returned — up to imapflow's socket timeout (60 s) for a
// silent server, for ever for a trickling one — one more each time serve measures the lag.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { test } from "node:test";
import type { ResolvedPath } from "../../src/config/load.js";
import { openImap } from "../../src/receivers/imap.js";
import type { FoundMessage } from "../../src/receivers/session.js";

/** Connection 1 behaves; every later connection greets and then says nothing. */
async function server() {
  const conns: Socket[] = [];
  const srv = createServer((sock) => {
    conns.push(sock);
    sock.on("error", () => undefined);
    sock.write("* OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS] ready\r\n");
    if (conns.length > 1) return void sock.resume(); // greets, then reads and says nothing
    let buf = "";
    sock.on("data", (d: Buffer) => {
      buf += d.toString("latin1");
      for (let i = buf.indexOf("\r\n"); i >= 0; i = buf.indexOf("\r\n")) {
        const [tag, w = ""] = buf.slice(0, i).split(" ");
        buf = buf.slice(i + 2);
        const word = w.toUpperCase();
        if (word === "CAPABILITY") sock.write(`* CAPABILITY IMAP4rev1 IDLE UIDPLUS\r\n${tag} OK done\r\n`);
        else if (word === "SELECT" || word === "EXAMINE")
          sock.write(`* 1 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n* OK [UIDNEXT 2] x\r\n${tag} OK [READ-WRITE] done\r\n`);
        else if (word === "LIST") sock.write(`* LIST (\\HasNoChildren) "/" "INBOX"\r\n${tag} OK done\r\n`);
        else if (word === "LOGOUT") sock.end(`* BYE\r\n${tag} OK done\r\n`);
        else sock.write(`${tag} OK done\r\n`);
      }
    });
  });
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  return { port: (srv.address() as { port: number }).port, conns, close: () => (conns.forEach((s) => s.destroy()), srv.close()) };
}

test("every run ends by its bound: the IDLE-lag session is closed when the caller's signal ends the measurement", async (t) => {
  const s = await server();
  t.after(() => s.close());
  const path = {
    name: "p",
    host: "127.0.0.1",
    port: s.port,
    security: "none",
    servername: "127.0.0.1",
    user: "probe",
    password: "probe-password-1",
    mailbox: "INBOX",
    connectTimeoutMs: 10_000,
    pollIntervalMs: 20,
    fastPollMs: 30_000,
  } as unknown as ResolvedPath; // plain IMAP (the config only allows tls/starttls): no certificate needed here
  const session = await openImap(path, AbortSignal.timeout(5000));
  t.after(() => session.close());
  const found = { uid: 1, mailbox: "INBOX", seenAtMs: Date.now(), headers: Buffer.alloc(0) } as FoundMessage;
  const started = Date.now();
  const lag = await session.idleLagMs!(found, AbortSignal.timeout(500));
  assert.equal(lag, undefined);
  assert.ok(Date.now() - started < 1500, "the call itself ends by its signal");
  assert.equal(s.conns.length, 2, "the second session connected");
  const second = s.conns[1]!;
  if (!second.destroyed && !second.readableEnded) await Promise.race([once(second, "close"), new Promise((r) => setTimeout(r, 2000))]);
  assert.ok(second.destroyed || second.readableEnded, "the second session's connection is still open 2 s after the call ended");
});
