// Promise 3 (every run ends by its bound — within the chart's 256 MiB memory limit): imapflow's own
// defaults accept a 1 GB literal and a 1 GB line, and mailprobe did not lower them. An IMAP server
// answering with `* 1 FETCH (BODY[] {1073741824}` and streaming was read into memory until the
// deadline: measured in-process, a 3 s deadline on loopback reached a peak RSS of 409 MiB (an
// endless line: 240 MiB), and a production deadline (tens of seconds) gets to 1 GB — the pod is
// OOM-killed before its bound, with no result pushed. mailprobe only ever fetches header blocks,
// envelopes, flags, SEARCH and LIST answers: small caps refuse such an answer at once.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Socket } from "node:net";
import { test } from "node:test";
import type { ResolvedPath } from "../../src/config/load.js";
import { openImap } from "../../src/receivers/imap.js";

const CHUNK = Buffer.alloc(64 * 1024, "x");
const MiB = 1024 * 1024;

/** Answers SELECT with `opening` and then streams bytes for ever; counts what it wrote. */
async function server(opening: string) {
  const conns: Socket[] = [];
  let written = 0;
  const srv = createServer((sock) => {
    conns.push(sock);
    sock.on("error", () => undefined);
    sock.write("* OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS] ready\r\n");
    let buf = "";
    sock.on("data", (d: Buffer) => {
      buf += d.toString("latin1");
      for (let i = buf.indexOf("\r\n"); i >= 0; i = buf.indexOf("\r\n")) {
        const [tag, w = ""] = buf.slice(0, i).split(" ");
        buf = buf.slice(i + 2);
        if (w.toUpperCase() !== "SELECT") {
          sock.write(`${tag} OK done\r\n`);
          continue;
        }
        sock.write(opening);
        const pump = () => {
          while (!sock.destroyed) {
            written += CHUNK.length;
            if (!sock.write(CHUNK)) return void sock.once("drain", pump);
          }
        };
        pump();
      }
    });
  });
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  return { port: (srv.address() as { port: number }).port, written: () => written, close: () => (conns.forEach((s) => s.destroy()), srv.close()) };
}

for (const [name, opening] of [
  ["a 1 GB literal", "* 1 FETCH (BODY[] {1073741824}\r\n"],
  ["an endless line", "* OK "],
] as const) {
  test(`every run ends by its bound: ${name} in an IMAP answer is refused at a small cap, not read until the deadline`, async (t) => {
    const s = await server(opening);
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
    const deadline = AbortSignal.timeout(4000);
    const started = Date.now();
    const err = await openImap(path, deadline).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    assert.ok(err, "the open fails");
    assert.ok(!deadline.aborted, `refused at the cap, not cut by the deadline (${Date.now() - started} ms, ${Math.round(s.written() / MiB)} MiB sent)`);
    assert.ok(s.written() < 128 * MiB, `read ${Math.round(s.written() / MiB)} MiB before refusing`);
  });
}
