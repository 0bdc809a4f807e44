// PROXY protocol v2 (HAProxy's binary header), so that mailprobe can itself speak to the mailserver's
// alternate listeners as HAProxy would, claiming a chosen client address.
import { connect as netConnect, isIPv4, isIPv6, type Socket } from "node:net";
import ipaddr from "ipaddr.js";
import { CONNECT_TIMEOUT, StepTimeoutError, type Protocol } from "../core/deadline.js";

const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

export interface ProxyEndpoints {
  sourceAddress: string;
  sourcePort: number;
  destAddress: string;
  destPort: number;
}

/** Builds a v2 PROXY header (command PROXY, TCP over IPv4 or IPv6). */
export function proxyV2Header(e: ProxyEndpoints): Buffer {
  let src = ipaddr.parse(e.sourceAddress);
  let dst = ipaddr.parse(e.destAddress);
  // Both addresses must share a family: map IPv4 into IPv6 when they differ.
  if (src.kind() !== dst.kind()) {
    if (src.kind() === "ipv4") src = (src as ipaddr.IPv4).toIPv4MappedAddress();
    if (dst.kind() === "ipv4") dst = (dst as ipaddr.IPv4).toIPv4MappedAddress();
  }
  const v6 = src.kind() === "ipv6";
  const addrLen = v6 ? 36 : 12;
  const header = Buffer.alloc(16 + addrLen);
  SIGNATURE.copy(header, 0);
  header[12] = 0x21; // version 2, command PROXY
  header[13] = v6 ? 0x21 : 0x11; // AF_INET6|AF_INET, STREAM
  header.writeUInt16BE(addrLen, 14);
  Buffer.from(src.toByteArray()).copy(header, 16);
  Buffer.from(dst.toByteArray()).copy(header, 16 + (v6 ? 16 : 4));
  header.writeUInt16BE(e.sourcePort, 16 + (v6 ? 32 : 8));
  header.writeUInt16BE(e.destPort, 16 + (v6 ? 34 : 10));
  return header;
}

export interface ProxiedTarget {
  host: string;
  port: number;
  sourceAddress: string;
  sourcePort: number;
}

/**
 * Starts a TCP connection whose first bytes are the PROXY v2 header (queued before anything the
 * caller writes, e.g. a TLS ClientHello). Returns at once; the socket emits 'connect' as usual.
 */
export function openProxiedSocket(t: ProxiedTarget): Socket {
  const socket = netConnect({ host: t.host, port: t.port });
  const destAddress = isIPv4(t.host) || isIPv6(t.host) ? t.host : t.sourceAddress.includes(":") ? "::" : "0.0.0.0";
  socket.write(proxyV2Header({ sourceAddress: t.sourceAddress, sourcePort: t.sourcePort, destAddress, destPort: t.port }));
  return socket;
}

/** How long a connect may take, what it is for (its timeout names the protocol) and the caller's signal. */
export interface ConnectBound {
  host: string;
  port: number;
  timeoutMs: number;
  protocol: Protocol;
  signal?: AbortSignal;
}

/** Like openProxiedSocket, resolving once connected (nodemailer's getSocket wants a live socket). */
export function connectWithProxyHeader(t: ProxiedTarget & ConnectBound): Promise<Socket> {
  return whenConnected(openProxiedSocket(t), t);
}

/**
 * Resolves with `socket` once it is connected; destroys it when `timeoutMs` passes first (a
 * StepTimeoutError naming the protocol, code CONNECT_TIMEOUT) or when `signal` aborts (rejecting with
 * the signal's reason): a pending connect — a SYN that is never answered — is bound by the caller's
 * deadline like everything else.
 */
export function whenConnected(socket: Socket, t: ConnectBound): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const settle = () => {
      clearTimeout(timer);
      t.signal?.removeEventListener("abort", onAbort);
    };
    const onAbort = () => {
      settle();
      socket.destroy();
      reject(t.signal!.reason);
    };
    const timer = setTimeout(() => {
      settle();
      socket.destroy();
      reject(new StepTimeoutError(t.protocol, `connect to ${t.host}:${t.port}`, t.timeoutMs, CONNECT_TIMEOUT));
    }, t.timeoutMs);
    if (t.signal?.aborted) return onAbort();
    t.signal?.addEventListener("abort", onAbort, { once: true });
    socket.once("error", (err) => {
      settle();
      reject(err);
    });
    socket.once("connect", () => {
      settle();
      socket.removeAllListeners("error");
      resolve(socket);
    });
  });
}
