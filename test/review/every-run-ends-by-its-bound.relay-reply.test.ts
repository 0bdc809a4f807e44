// Promise 3 (every run ends by its bound): the relay check's SMTP reply reader kept every byte of a
// reply and ran its reply regex over the whole buffer again on each chunk. A listener that answers
// with a multi-line reply that never ends (`220-…` lines of 1 KB, for ever) made that quadratic: the
// check ran to its timeout with the buffer growing — measured here: timeoutSeconds 5 ended after
// 7.0 s; timeoutSeconds 10 peaked at 208 MiB RSS. RFC 5321 §4.5.3.1.5 bounds a reply line at 512
// octets; a reply of many kilobytes is no SMTP server: refused at a cap, at once.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { test } from "node:test";
import { checkRelay, type RelayTarget } from "../../src/net/smtp-relay.js";

test("every run ends by its bound: a relay listener's never-ending multi-line reply is refused at a cap, not read until the timeout", async (t) => {
  const conns: Socket[] = [];
  const line = `220-${"x".repeat(1000)}\r\n`;
  const srv = createServer((sock) => {
    conns.push(sock);
    sock.on("error", () => undefined);
    const pump = () => {
      while (!sock.destroyed) if (!sock.write(line.repeat(64))) return void sock.once("drain", pump);
    };
    pump();
  });
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  t.after(() => (conns.forEach((s) => s.destroy()), srv.close()));
  const target = {
    name: "r",
    host: "127.0.0.1",
    port: (srv.address() as { port: number }).port,
    security: "none",
    heloName: "probe.lab.test",
    mailFrom: "probe@sender.lab.test",
    rcptTo: "someone@elsewhere.test",
    timeoutMs: 5000,
  } as unknown as RelayTarget;
  const started = Date.now();
  const r = await checkRelay(target, new AbortController().signal);
  const ms = Date.now() - started;
  assert.equal(r.state, "error");
  assert.ok(ms < 2000, `refused at a cap, not after the 5 s timeout (took ${ms} ms: ${r.detail.slice(0, 80)})`);
});
