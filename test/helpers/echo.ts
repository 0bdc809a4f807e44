// Servers of ours on loopback that echo what they were sent into their error answers, as careless
// real servers do: the way a secret reaches mailprobe's outputs, so that redaction is really tested.
import { createServer as createHttpServer } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createServer as createTlsServer, type Server as TlsServer } from "node:tls";
import type { Server as HttpServer } from "node:http";
import { addr, paths } from "../lab/topology.js";

export interface EchoServer {
  port: number;
  close(): Promise<void>;
}

function listen(server: HttpServer | TlsServer): Promise<number> {
  return new Promise((resolve) => server.listen(0, addr.listen, () => resolve((server.address() as { port: number }).port)));
}

const closer = (server: HttpServer | TlsServer) => () =>
  new Promise<void>((r) => {
    (server as HttpServer).closeAllConnections?.();
    server.close(() => r());
  });

/** An IMAPS server (the lab's mx certificate) that refuses AUTHENTICATE PLAIN repeating the password it got. */
export async function echoImap(): Promise<EchoServer> {
  const server = createTlsServer({ key: readFileSync(join(paths.tls, "mx.key")), cert: readFileSync(join(paths.tls, "mx.crt")) }, (sock) => {
    sock.setEncoding("utf8");
    sock.on("error", () => undefined);
    sock.write("* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] echo ready\r\n");
    let buf = "";
    let authTag: string | undefined;
    sock.on("data", (d: string) => {
      buf += d;
      for (let i = buf.indexOf("\r\n"); i >= 0; i = buf.indexOf("\r\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (authTag) {
          const password = Buffer.from(line, "base64").toString("utf8").split("\0")[2] ?? "";
          sock.write(`${authTag} NO [AUTHENTICATIONFAILED] password ${password} is wrong\r\n`);
          authTag = undefined;
          continue;
        }
        const [tag, cmd] = line.split(" ");
        if (cmd?.toUpperCase() === "AUTHENTICATE") {
          authTag = tag;
          sock.write("+ \r\n");
        } else if (cmd?.toUpperCase() === "CAPABILITY") sock.write(`* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n${tag} OK done\r\n`);
        else sock.write(`${tag} OK done\r\n`);
      }
    });
  });
  return { port: await listen(server), close: closer(server) };
}

/** An Uptime-Kuma-like server that answers 404 naming the push token it was given (decoded). */
export async function echoKuma(): Promise<EchoServer> {
  const server = createHttpServer((req, res) => {
    const token = decodeURIComponent((req.url ?? "").replace(/\?.*/, "").split("/").pop() ?? "");
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: false, msg: `no monitor for token ${token}` }));
  });
  return { port: await listen(server), close: closer(server) };
}
