// A counting IMAPS relay of ours, for the benchmarks only: it terminates TLS with the lab's MX
// certificate, opens its own TLS connection to Dovecot, passes bytes through unchanged and counts
// the client's tagged commands (mailprobe does not log them, and Dovecot 2.3 has no per-session
// command count). A probe path pointed at it sees the same server, one loopback hop further.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connect, createServer, type TLSSocket } from "node:tls";
import { mx } from "../test/lab/topology.js";
import { addr, paths } from "./lib.js";

export interface ImapCounts {
  connections: number;
  commands: number;
  /** Commands by verb ("UID FETCH", "NOOP", "IDLE", …). */
  byVerb: Map<string, number>;
}

export async function imapCounter(targetPort: number): Promise<{ port: number; take: () => ImapCounts; close: () => Promise<void> }> {
  let counts: ImapCounts = { connections: 0, commands: 0, byVerb: new Map() };
  const ca = readFileSync(paths.caCert);
  const open = new Set<TLSSocket>();
  const server = createServer({ key: readFileSync(join(paths.tls, "mx.key")), cert: readFileSync(join(paths.tls, "mx.crt")) }, (client) => {
    counts.connections++;
    open.add(client);
    const upstream = connect({ host: addr.listen, port: targetPort, servername: mx.hostname, ca });
    open.add(upstream);
    let pending = "";
    client.on("data", (d: Buffer) => {
      pending += d.toString("latin1");
      const lines = pending.split("\r\n");
      pending = lines.pop()!;
      for (const line of lines) {
        // "tag VERB …" or "tag UID VERB …"; literal payloads and IDLE's DONE have no tag and are not commands.
        const m = /^[A-Za-z0-9.]+ ((?:UID )?[A-Za-z]+)/.exec(line);
        if (!m) continue;
        const verb = m[1]!.toUpperCase();
        counts.commands++;
        counts.byVerb.set(verb, (counts.byVerb.get(verb) ?? 0) + 1);
      }
      upstream.write(d);
    });
    upstream.on("data", (d: Buffer) => client.write(d));
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("close", end).on("error", end);
    upstream.on("close", end).on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, addr.listen, resolve));
  return {
    port: (server.address() as { port: number }).port,
    take: () => {
      const c = counts;
      counts = { connections: 0, commands: 0, byVerb: new Map() };
      return c;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
