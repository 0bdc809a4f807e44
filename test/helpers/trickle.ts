// Misbehaving servers of ours on loopback, to stage what real ones do under load or on purpose:
// they accept, answer the first steps promptly, then trickle one byte every 2 s for ever. An idle
// timeout never fires on them; only a hard deadline that destroys the socket ends the exchange.
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import type { Socket } from "node:net";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import { addr, paths } from "../lab/topology.js";

export const TRICKLE_EVERY_MS = 2000;

export interface Trickler {
  port: number;
  /** What was asked, in order (HTTP: `METHOD path`; IMAP: the command words). */
  seen: string[];
  /** Sockets that were closed by the client (the hard deadline destroyed them). */
  closedByClient: () => number;
  close(): Promise<void>;
}

function trackSockets(server: HttpServer | TlsServer) {
  const sockets = new Set<Socket>();
  let closed = 0;
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => {
      sockets.delete(s);
      closed++;
    });
  });
  return { closedByClient: () => closed, destroyAll: () => sockets.forEach((s) => s.destroy()) };
}

function trickle(write: (b: string) => boolean | void, sock: Socket): void {
  const t = setInterval(() => {
    if (sock.destroyed) return clearInterval(t);
    write("x");
  }, TRICKLE_EVERY_MS);
  sock.on("close", () => clearInterval(t));
}

function listen(server: HttpServer | TlsServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, addr.listen, () => resolve((server.address() as { port: number }).port)));
}

/** An HTTP server that sends 200 and its headers at once, then one body byte every 2 s (as Pushgateway or Kuma). */
export async function trickleHttp(): Promise<Trickler> {
  const seen: string[] = [];
  const server = createHttpServer((req, res) => {
    seen.push(`${req.method} ${req.url?.replace(/\?.*/, "")}`);
    req.resume();
    res.writeHead(200, { "content-type": "application/json" });
    res.write("{");
    trickle((b) => res.write(b), req.socket);
  });
  const track = trackSockets(server);
  const port = await listen(server);
  return {
    port,
    seen,
    closedByClient: track.closedByClient,
    close: () => new Promise((r) => (track.destroyAll(), server.close(() => r()))),
  };
}

/**
 * An IMAPS server (the lab's mx certificate) that greets, answers CAPABILITY, LOGIN, SELECT (an
 * empty mailbox), NOOP and SEARCH (two hits) at once, and trickles its answer to FETCH (or to the
 * commands named in `on`): so a run waits normally, then cleanup is held in the FETCH after a SEARCH.
 */
export async function trickleImap(on: string[] = ["UID FETCH", "FETCH"]): Promise<Trickler> {
  const seen: string[] = [];
  const server = createTlsServer({ key: readFileSync(join(paths.tls, "mx.key")), cert: readFileSync(join(paths.tls, "mx.crt")) }, (sock) => {
    sock.setEncoding("utf8");
    sock.write("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] trickle ready\r\n");
    let buf = "";
    let stuck = false;
    sock.on("data", (d: string) => {
      buf += d;
      for (let i = buf.indexOf("\r\n"); i >= 0; i = buf.indexOf("\r\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (stuck) continue;
        const [tag, ...rest] = line.split(" ");
        const words = rest.join(" ").toUpperCase();
        const cmd = words.startsWith("UID ") ? words.split(" ").slice(0, 2).join(" ") : words.split(" ")[0]!;
        seen.push(cmd);
        const ok = (extra = "") => sock.write(`${extra}${tag} OK ${cmd} done\r\n`);
        if (on.includes(cmd)) {
          stuck = true;
          sock.write("* ");
          trickle((b) => sock.write(b), sock);
        } else if (cmd === "CAPABILITY") ok("* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n");
        else if (cmd === "SELECT" || cmd === "EXAMINE")
          ok("* 0 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 3] n\r\n* FLAGS (\\Seen \\Deleted)\r\n");
        else if (cmd === "UID SEARCH" || cmd === "SEARCH") ok("* SEARCH 1 2\r\n");
        else ok();
      }
    });
    sock.on("error", () => undefined);
  });
  const track = trackSockets(server);
  const port = await listen(server);
  return {
    port,
    seen,
    closedByClient: track.closedByClient,
    close: () => new Promise((r) => (track.destroyAll(), server.close(() => r()))),
  };
}
