// Peers of ours on loopback that echo the credentials they were given (issue 18, "peer text is
// tainted"): not the real services, but what a careless or hostile one does — an IMAP server quoting
// the password in its greeting, its LOGIN refusal or its SELECT refusal, an SMTP server in its AUTH
// or RCPT reply, an HTTP API (Brevo, Pushgateway, Kuma) in a 4xx/5xx body. Up to its stage a peer
// behaves well; the HTTP recorder answers like the real API and keeps what it was sent (the Kuma msg,
// the Pushgateway body), so the test can scan what reached the sinks.
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer } from "node:http";
import type { Server, Socket } from "node:net";
import { join } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { paths } from "../lab/topology.js";

export interface Peer {
  port: number;
  /** What HTTP requests the peer got: method, URL and body. */
  requests: { method: string; url: string; body: string }[];
  /** How many answers carried the echo (line peers; an HTTP echo peer echoes every request). */
  echoed: number;
  close(): Promise<void>;
}

/** The stages a peer can echo at. */
export type LineStage = "imap greeting" | "imap login" | "imap select" | "smtp auth" | "smtp rcpt" | "none";

const IMAP_CAPS = "IMAP4rev1 AUTH=PLAIN IDLE UIDPLUS";

/** One command line → the answer, for a peer that echoes `echo` at `stage`. */
function imapAnswer(line: string, stage: LineStage, echo: string, state: { auth?: string }): string {
  if (state.auth) {
    const tag = state.auth;
    state.auth = undefined;
    return `${tag} OK [CAPABILITY ${IMAP_CAPS}] logged in\r\n`;
  }
  const [tag = "*", word = ""] = line.split(" ");
  const w = word.toUpperCase();
  if (w === "AUTHENTICATE" || w === "LOGIN") {
    if (stage === "imap login") return `${tag} NO [AUTHENTICATIONFAILED] credentials ${echo} refused\r\n`;
    if (w === "LOGIN") return `${tag} OK logged in\r\n`;
    state.auth = tag;
    return "+ \r\n";
  }
  if (w === "SELECT" || w === "EXAMINE") {
    if (stage === "imap select") return `${tag} NO [SERVERBUG] mailbox of ${echo} unavailable\r\n`;
    return `* 0 EXISTS\r\n* OK [UIDVALIDITY 1] x\r\n* OK [UIDNEXT 1] x\r\n${tag} OK [READ-WRITE] done\r\n`;
  }
  if (w === "CAPABILITY") return `* CAPABILITY ${IMAP_CAPS}\r\n${tag} OK done\r\n`;
  if (w === "LOGOUT") return `* BYE\r\n${tag} OK done\r\n`;
  if (w === "UID" && /SEARCH/i.test(line)) return `* SEARCH\r\n${tag} OK done\r\n`;
  return `${tag} OK done\r\n`;
}

function smtpAnswer(line: string, stage: LineStage, echo: string, state: { data?: boolean }): string {
  if (state.data) {
    if (line !== ".") return "";
    state.data = false;
    return "250 2.0.0 queued\r\n";
  }
  const w = (line.split(/[ :]/)[0] ?? "").toUpperCase();
  if (w === "EHLO") return "250-echo.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n";
  if (w === "AUTH") return stage === "smtp auth" ? `535 5.7.8 credentials ${echo} refused\r\n` : "235 2.7.0 ok\r\n";
  if (w === "RCPT") return stage === "smtp rcpt" ? `550 5.1.1 mailbox of ${echo} unknown\r\n` : "250 ok\r\n";
  if (w === "DATA") return ((state.data = true), "354 go\r\n");
  if (w === "QUIT") return "221 bye\r\n";
  return "250 ok\r\n";
}

/** An IMAP or SMTP server behind TLS (the lab's mx certificate) that echoes `echo` at `stage`. */
export async function linePeer(proto: "imap" | "smtp", stage: LineStage, echo: string): Promise<Peer> {
  const count = { echoed: 0 };
  const onSocket = (sock: Socket) => {
    sock.on("error", () => undefined);
    if (stage === "imap greeting") return void (count.echoed++, sock.end(`* BYE [UNAVAILABLE] not for ${echo}\r\n`));
    sock.write(proto === "imap" ? `* OK [CAPABILITY ${IMAP_CAPS}] ready\r\n` : "220 echo.test ESMTP\r\n");
    const state = {};
    let buf = "";
    sock.on("data", (d: Buffer) => {
      buf += d.toString("utf8");
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const line = buf.slice(0, i).replace(/\r$/, "");
        buf = buf.slice(i + 1);
        const out = proto === "imap" ? imapAnswer(line, stage, echo, state) : smtpAnswer(line, stage, echo, state);
        if (stage !== "none" && out.includes(echo)) count.echoed++;
        if (out && !sock.destroyed) sock.write(out);
      }
    });
  };
  const server: Server = createTlsServer({ key: readFileSync(join(paths.tls, "mx.key")), cert: readFileSync(join(paths.tls, "mx.crt")) }, onSocket).on(
    "tlsClientError",
    () => undefined,
  );
  return serve(server, [], count);
}

/** What a well-behaved Brevo, Pushgateway or Kuma answers (the recorder's part). */
function normalHttp(req: IncomingMessage): [number, unknown] {
  const url = req.url ?? "";
  if (req.method === "POST" && url.startsWith("/v3/smtp/email")) return [201, { messageId: "<20261203.echo@smtp-relay.mailin.lab>" }];
  if (url.startsWith("/v3/account")) return [200, { email: "ops@echo.test", plan: [{ type: "free", creditsType: "sendLimit", credits: 300 }] }];
  if (url.startsWith("/v3/")) return [url.includes("blockedContacts") ? 404 : 200, {}];
  if (url.startsWith("/api/push/")) return [200, { ok: true }];
  if (url.startsWith("/api/v1/metrics")) return [200, { status: "success", data: [] }];
  return [200, {}];
}

/** An HTTP API: with `status`, every request is answered with it and a body echoing `echo`; without, like the real API. */
export async function httpPeer(echo?: { status: number; text: string }): Promise<Peer> {
  const requests: Peer["requests"] = [];
  const server = createHttpServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (body += d));
    req.on("end", () => {
      requests.push({ method: req.method ?? "", url: req.url ?? "", body });
      if (echo) {
        res.writeHead(echo.status, { "content-type": "text/plain; charset=utf-8" });
        return void res.end(`request refused: ${echo.text} is not accepted here\n`);
      }
      const [status, json] = normalHttp(req);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(json));
    });
  });
  return serve(server, requests, {
    get echoed() {
      return echo ? requests.length : 0;
    },
  });
}

async function serve(server: Server | HttpServer, requests: Peer["requests"], count: { readonly echoed: number }): Promise<Peer> {
  const sockets = new Set<Socket>();
  server.on("connection", (s: Socket) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as { port: number }).port,
    requests,
    get echoed() {
      return count.echoed;
    },
    close: () => new Promise<void>((r) => (sockets.forEach((s) => s.destroy()), server.close(() => r()))),
  };
}
