// The hostile-peer harness (issue 18): generic loopback servers of ours that misbehave the way a
// broken or malicious peer can, at a chosen stage of the protocol we speak. These are not the real
// services: they stage what a real one does when it is overloaded, half-dead or hostile.
//   syn-drop  a listener whose backlog is full and that never accepts: the SYN goes unanswered
//             (no firewall needed; perl, which every Debian has, holds the listening socket)
//   silent    accepts and says nothing
//   trickle   one byte every 2 s, for ever
//   endless   one line that never ends (as fast as the client reads)
//   huge      a 1 GB answer (HTTP body with its Content-Length, an IMAP literal), streamed, not allocated
//   close     closes in the middle of its answer
// A line protocol (IMAP, SMTP) behaves normally up to `stage` (the command word whose answer
// misbehaves; "greeting" for the banner); HTTP misbehaves on the request.
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { paths } from "../lab/topology.js";
import { synDrop } from "../helpers/syn-drop.js";

export { synDrop };

export const BEHAVIOURS = ["syn-drop", "silent", "trickle", "endless", "huge", "close"] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];
export type Protocol = "http" | "imap" | "smtp";

export interface Hostile {
  port: number;
  close(): Promise<void>;
}

const GB = 1024 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, "x");

/** Writes `total` bytes (Infinity: for ever) of `x`, honouring backpressure; stops when the socket goes. */
function stream(sock: Socket, total: number): void {
  let sent = 0;
  const pump = () => {
    while (!sock.destroyed && sent < total) {
      sent += CHUNK.length;
      if (!sock.write(CHUNK)) return void sock.once("drain", pump);
    }
  };
  pump();
}

function trickle(sock: Socket): void {
  const t = setInterval(() => (sock.destroyed ? clearInterval(t) : sock.write("x")), 2000);
  sock.on("close", () => clearInterval(t));
}

/** What a well-behaved peer answers to each command before the stage that misbehaves. */
const NORMAL: Record<Exclude<Protocol, "http">, { greeting: string; answer: (tag: string, word: string) => string }> = {
  imap: {
    greeting: "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hostile ready\r\n",
    answer: (tag, word) =>
      word === "CAPABILITY"
        ? `* CAPABILITY IMAP4rev1 AUTH=PLAIN IDLE UIDPLUS\r\n${tag} OK done\r\n`
        : word === "SELECT" || word === "EXAMINE"
          ? `* 0 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n* OK [UIDNEXT 1] x\r\n${tag} OK [READ-WRITE] done\r\n`
          : word === "LOGOUT"
            ? `* BYE\r\n${tag} OK done\r\n`
            : `${tag} OK done\r\n`,
  },
  smtp: {
    greeting: "220 hostile.test ESMTP\r\n",
    answer: (_tag, word) =>
      word === "EHLO" ? "250-hostile.test\r\n250 PIPELINING\r\n" : word === "QUIT" ? "221 bye\r\n" : word === "RCPT" ? "550 no relay\r\n" : "250 ok\r\n",
  },
};

/** How the misbehaviour starts once the stage is reached. */
function misbehave(sock: Socket, b: Exclude<Behaviour, "syn-drop">, proto: Protocol, tag: string): void {
  const prefix = proto === "http" ? "" : proto === "imap" ? (tag === "*" ? "* OK " : `${tag} OK `) : "250-";
  switch (b) {
    case "silent":
      return;
    case "trickle":
      sock.write(proto === "http" ? "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{" : prefix);
      return trickle(sock);
    case "endless":
      sock.write(proto === "http" ? "HTTP/1.1 200 OK\r\nx-endless: " : prefix);
      return stream(sock, Infinity);
    case "huge":
      sock.write(
        proto === "http"
          ? `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${GB}\r\n\r\n`
          : proto === "imap"
            ? `* 1 FETCH (BODY[] {${GB}}\r\n`
            : "250-",
      );
      return stream(sock, GB);
    case "close":
      sock.end(proto === "http" ? 'HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"ok":' : prefix.slice(0, 3));
      return;
  }
}

/** A server of `proto` that misbehaves with `b` at `stage`; with `tls`, behind TLS with the lab's mx certificate. */
export async function hostile(proto: Protocol, b: Behaviour, stage = "greeting", tls = false): Promise<Hostile> {
  if (b === "syn-drop") return synDrop();
  const onSocket = (sock: Socket) => {
    sock.on("error", () => undefined);
    if (proto === "http" || stage === "greeting") {
      if (proto === "http") sock.once("data", () => misbehave(sock, b, proto, "*"));
      else misbehave(sock, b, proto, "*");
      return;
    }
    const normal = NORMAL[proto];
    sock.write(normal.greeting);
    let buf = "";
    let broken = false;
    sock.on("data", (d: Buffer) => {
      buf += d.toString("latin1");
      let i: number;
      while (!broken && (i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i).replace(/\r$/, "");
        buf = buf.slice(i + 1);
        const words = line.split(/[ :]/);
        const [tag, word] = proto === "imap" ? [words[0]!, (words[1] ?? "").toUpperCase()] : ["", (words[0] ?? "").toUpperCase()];
        const w = proto === "imap" && word === "UID" ? `UID ${(words[2] ?? "").toUpperCase()}` : word;
        if (w === stage || word === stage) {
          broken = true;
          misbehave(sock, b, proto, tag);
        } else sock.write(normal.answer(tag, word));
      }
    });
  };
  const server: Server = tls
    ? createTlsServer({ key: readFileSync(join(paths.tls, "mx.key")), cert: readFileSync(join(paths.tls, "mx.crt")) }, onSocket).on(
        "tlsClientError",
        () => undefined,
      )
    : createServer(onSocket);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}
