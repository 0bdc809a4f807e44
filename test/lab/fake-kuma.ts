// A stand-in for Uptime Kuma's push monitors: GET /api/push/<token>?status=up|down&msg=…&ping=…
// answers {"ok":true} for an active monitor and 404 {"ok":false,"msg":"Monitor not found or not active."}
// otherwise. Every call is recorded for the tests under /__lab/calls.
import { createServer } from "node:http";
import { addr, kuma, port } from "./topology.js";

export interface KumaCall {
  token: string;
  method: string;
  status: string | null;
  msg: string | null;
  ping: string | null;
  at: number;
}

export function createFakeKuma(tokens: readonly string[] = kuma.tokens) {
  const active = new Set(tokens);
  const calls: KumaCall[] = [];
  let down = false;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://fake-kuma");
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === "/__lab/health") return send(200, { ok: true });
    if (url.pathname === "/__lab/calls") {
      if (req.method === "DELETE") calls.length = 0;
      return send(200, calls);
    }
    if (url.pathname === "/__lab/down" && req.method === "POST") {
      down = url.searchParams.get("on") !== "0";
      return send(200, { down });
    }
    const m = /^\/api\/push\/([^/]+)$/.exec(url.pathname);
    if (m) {
      if (down) {
        req.socket.destroy();
        return;
      }
      const token = decodeURIComponent(m[1]!);
      calls.push({
        token,
        method: req.method ?? "",
        status: url.searchParams.get("status"),
        msg: url.searchParams.get("msg"),
        ping: url.searchParams.get("ping"),
        at: Date.now(),
      });
      if (!active.has(token)) return send(404, { ok: false, msg: "Monitor not found or not active." });
      return send(200, { ok: true });
    }
    send(404, { ok: false, msg: "Not Found" });
  });
  return { server, calls };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) {
  createFakeKuma().server.listen(port.fakeKuma, addr.listen);
}
