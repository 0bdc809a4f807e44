// A staged misbehaviour (not a real server): a loopback TLS proxy of ours in front of a real lab
// server (Dovecot, Courier) that rewrites the server's untagged lines, e.g. drops SELECT's
// `* OK [UIDNEXT n]` the way Courier-IMAP does. Server lines are rewritten one CRLF line at a time
// (a literal's body could in principle hold such a line: the tests' messages do not). It can also play
// a slow server: each chunk the client sends is held `clientDelayMs` before it goes on, in order, so
// every command takes at least that long (as Courier without gam_server does, ~1.3 s), and the
// client's command lines are reported as they go.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connect as tlsConnect, createServer, type TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import { addr, mx, paths } from "../lab/topology.js";
import { ca } from "./lab.js";

export interface RewriteProxy {
  port: number;
  close(): Promise<void>;
}

export interface ProxyOptions {
  /** Hold each client chunk this long before passing it on (0: at once). */
  clientDelayMs?: number;
  /** Each client line (a command, or a literal's line), when it is passed on. */
  onClientLine?: (line: string) => void;
}

/** Listens on an ephemeral loopback port; `rewrite` returns the line to pass on, or undefined to drop it. */
export async function imapRewriteProxy(upstreamPort: number, rewrite: (line: string) => string | undefined, opts: ProxyOptions = {}): Promise<RewriteProxy> {
  const sockets = new Set<TLSSocket>();
  const server = createServer({ cert: readFileSync(join(paths.tls, "mx.crt")), key: readFileSync(join(paths.tls, "mx.key")) }, (client) => {
    const up = tlsConnect({ host: addr.listen, port: upstreamPort, servername: mx.hostname, ca: ca() });
    sockets.add(client).add(up);
    let buf = "";
    up.setEncoding("latin1");
    up.on("data", (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf("\r\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const out = rewrite(line);
        if (out !== undefined) client.write(Buffer.from(`${out}\r\n`, "latin1"));
      }
    });
    if (!opts.clientDelayMs && !opts.onClientLine) client.pipe(up);
    else {
      let queue = Promise.resolve();
      client.on("data", (chunk: Buffer) => {
        queue = queue
          .then(() => new Promise((r) => setTimeout(r, opts.clientDelayMs ?? 0)))
          .then(() => {
            for (const line of chunk.toString("latin1").split("\r\n")) if (line) opts.onClientLine?.(line);
            up.write(chunk);
          });
      });
    }
    const end = () => (client.destroy(), up.destroy());
    client.on("error", end).on("close", end);
    up.on("error", end).on("close", end);
  });
  await new Promise<void>((r) => server.listen(0, addr.listen, r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** Courier's SELECT: no `[UIDNEXT n]` response code. */
export const dropUidNext = (line: string) => (/^\* OK \[UIDNEXT \d+\]/i.test(line) ? undefined : line);
