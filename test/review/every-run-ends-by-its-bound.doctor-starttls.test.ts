// Promise 3 (every run ends by its bound): doctor's describe-only TLS check of a `starttls` path reads
// the plain-text greeting and STARTTLS answer itself (src/doctor/common.ts readUntil). It kept every
// byte and split the whole buffer again on each chunk: a server streaming one endless line made it
// quadratic — measured with connectTimeoutSeconds 10: the check ended after 13.6 s (the event loop
// too busy for the timer), peak RSS 236 MiB for only 15 MiB received. The matrix's IMAP stages are all
// `tls`, so this reader was never put in front of a hostile peer. A line that long is not IMAP's
// greeting: it is refused at a small cap, at once.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { test } from "node:test";
import type { ResolvedPath } from "../../src/config/load.js";
import { connectTcp, tlsFacts } from "../../src/doctor/common.js";

const CHUNK = Buffer.alloc(64 * 1024, "x");

test("every run ends by its bound: doctor's STARTTLS reader refuses an endless greeting line at a cap, not at the timeout", async (t) => {
  const conns: Socket[] = [];
  const srv = createServer((sock) => {
    conns.push(sock);
    sock.on("error", () => undefined);
    const pump = () => {
      while (!sock.destroyed) if (!sock.write(CHUNK)) return void sock.once("drain", pump);
    };
    pump();
  });
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  t.after(() => (conns.forEach((s) => s.destroy()), srv.close()));
  const path = {
    name: "p",
    host: "127.0.0.1",
    port: (srv.address() as { port: number }).port,
    security: "starttls",
    servername: "mx.lab.test",
    connectTimeoutMs: 3000,
  } as unknown as ResolvedPath;
  const sock = await connectTcp(path, new AbortController().signal);
  t.after(() => sock.destroy());
  const started = Date.now();
  const err = await tlsFacts(path, sock, new AbortController().signal).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  const ms = Date.now() - started;
  assert.ok(err, "the check fails");
  assert.ok(ms < 1500, `refused at a cap, not after the ${path.connectTimeoutMs} ms timeout (took ${ms} ms: ${err.message.slice(0, 80)})`);
  assert.ok(err.message.length < 400, "the error does not carry the peer's line whole");
});
