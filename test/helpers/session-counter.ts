// A counting IMAPS relay of ours in front of the lab's Dovecot (tests and benchmarks): it terminates
// TLS with the lab's MX certificate, opens its own TLS connection to Dovecot and passes bytes through
// unchanged, and counts the IMAP sessions open at once. A session counts from its TCP accept until
// the client's LOGOUT command or either side closing, whichever comes first: the client may open its
// next session before the relay has seen the last one's FIN, but never before its LOGOUT.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connect as tlsConnect, createServer, type TLSSocket } from "node:tls";
import type { AddressInfo } from "node:net";
import { addr, mx, paths } from "../lab/topology.js";
import { ca } from "./lab.js";

export interface SessionCounter {
  port: number;
  /** Sessions open now, the most at once, and every session accepted (since start or the last reset). */
  now(): number;
  max(): number;
  total(): number;
  /** Commands by verb ("LOGIN", "UID SEARCH", …) since the last reset. */
  commands(): Map<string, number>;
  reset(): void;
  close(): Promise<void>;
}

export async function sessionCounter(upstreamPort: number): Promise<SessionCounter> {
  const sockets = new Set<TLSSocket>();
  let open = 0;
  let max = 0;
  let total = 0;
  let verbs = new Map<string, number>();
  const server = createServer({ cert: readFileSync(join(paths.tls, "mx.crt")), key: readFileSync(join(paths.tls, "mx.key")) }, (client) => {
    open++;
    total++;
    max = Math.max(max, open);
    let counted = true;
    const done = () => {
      if (counted) open--;
      counted = false;
    };
    const up = tlsConnect({ host: addr.listen, port: upstreamPort, servername: mx.hostname, ca: ca() });
    sockets.add(client).add(up);
    let pending = "";
    client.on("data", (d: Buffer) => {
      pending += d.toString("latin1");
      const lines = pending.split("\r\n");
      pending = lines.pop()!;
      for (const line of lines) {
        // "tag VERB …" or "tag UID VERB …"; literals and IDLE's DONE carry no tag.
        const m = /^[A-Za-z0-9.]+ ((?:UID )?[A-Za-z]+)/.exec(line);
        if (!m) continue;
        const verb = m[1]!.toUpperCase();
        verbs.set(verb, (verbs.get(verb) ?? 0) + 1);
        if (verb === "LOGOUT") done();
      }
      up.write(d);
    });
    up.pipe(client);
    const end = () => {
      done();
      client.destroy();
      up.destroy();
      sockets.delete(client);
      sockets.delete(up);
    };
    client.on("error", end).on("close", end);
    up.on("error", end).on("close", end);
  });
  await new Promise<void>((r) => server.listen(0, addr.listen, r));
  return {
    port: (server.address() as AddressInfo).port,
    now: () => open,
    max: () => max,
    total: () => total,
    commands: () => verbs,
    reset() {
      max = open;
      total = 0;
      verbs = new Map();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
