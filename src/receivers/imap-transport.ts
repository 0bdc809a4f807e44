// imapflow's socket hooks for a path: its TLS options (verification is never turned off) and, with
// proxyProtocol, a transport whose TCP connection starts with our own PROXY v2 header.
import type { Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { ResolvedPath } from "../config/load.js";
import { openProxiedSocket } from "../net/proxy-v2.js";

/** The TLS settings of a path: its server name and extra CA; verification is never turned off. */
export function tlsOptionsOf(path: ResolvedPath) {
  return { servername: path.servername, minVersion: "TLSv1.2" as const, ...(path.ca ? { ca: path.ca } : {}) };
}

/**
 * imapflow's `transport` hook (connect returns the stream at once and calls back when it is up):
 * the TCP connection starts with our own PROXY v2 header, then TLS as configured.
 */
export function proxyTransport(path: ResolvedPath) {
  const pp = path.proxyProtocol!;
  const tlsOptions = tlsOptionsOf(path);
  return {
    connect(opts: { secure?: boolean }, onConnect: () => void) {
      const raw = openProxiedSocket({ host: path.host, port: path.port, sourceAddress: pp.sourceAddress, sourcePort: pp.sourcePort });
      if (!opts.secure) {
        raw.once("connect", onConnect);
        return raw;
      }
      const secure = tlsConnect({ socket: raw, ...tlsOptions });
      secure.once("secureConnect", onConnect);
      // Errors of the TCP leg surface on the TLS socket, where imapflow listens.
      raw.once("error", (err) => secure.destroy(err));
      return secure;
    },
    upgrade(socket: Socket, _opts: unknown, onSecure: () => void) {
      const secure = tlsConnect({ socket, ...tlsOptions });
      secure.once("secureConnect", onSecure);
      return secure;
    },
  };
}
