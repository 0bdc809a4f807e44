// The Received grammar of each MTA that can be our MX: how it writes the hop on which it takes a
// message (sources and samples: test/checks/fixtures/vectors/README.md). Which grammar reads a
// header is configuration (`received.mta`), never a guess from the header: the `from` clause carries
// client-chosen text (HELO/EHLO, ident, a certificate's name). Pure; never throws.
//
// Each client shape is anchored at both ends and matched twice, with the client-chosen HELO as
// short and as long as possible: when the two readings differ the client's text imitates the
// structure, and the hop is `unparsed` (never guessed). A HELO literal is never the client address.
import { MTAS, type Mta } from "../core/mta.js";
import type { EntryTls } from "../core/result.js";

export { MTAS, type Mta };

/** What one grammar reads from one Received value (unfolded, without its name). */
export interface HopReading {
  /** client: names the connecting client; hidden: written by the MTA without one (Postfix
   * smtpd_hide_client_session, OpenSMTPD mask-src); delivery: LMTP or local submission, never the
   * entry; unparsed: not in this MTA's grammar. */
  kind: "client" | "hidden" | "delivery" | "unparsed";
  /** The host of the `by` clause, lower-case, without a trailing dot. */
  by?: string;
  /** The client's address literal as written (normalised by the caller). */
  ip?: string;
  /** The `with` protocol as written. */
  proto?: string;
  tls?: EntryTls;
  /** Why a hop did not parse. */
  note?: string;
}

/** A comment, up to three levels deep. */
const C = String.raw`\((?:[^()]|\((?:[^()]|\([^()]*\))*\))*\)`;
const MID = String.raw`(?<mid>(?: ${C})*)`;
const LIT = String.raw`(?:IPv6:)?[0-9A-Fa-f:.]{2,45}`;
const HOST = String.raw`[^\s()\[\];]+`;
/** id, for <rcpt> (the recipient is client-chosen text: never read). */
const TAIL = String.raw`(?<tail>(?: .*)?)$`;
/** Stands for the client-chosen HELO/EHLO in a shape. */
const HELO = "§HELO§";
/** Longer values are refused: nothing that long is a Received line an MTA wrote. */
const MAX_VALUE = 2000;

interface Shape {
  kind: HopReading["kind"];
  re: string;
}

const shape = (kind: HopReading["kind"], re: string): Shape => ({ kind, re });
const withProto = String.raw`with (?<proto>[A-Za-z0-9-]+)`;
/** Sendmail's "($v/$Z)": its version and the configuration's, e.g. (8.17.1/8.17.1) or (8.15.2/8.15.2/Submit). */
const SMV = String.raw`\([^()\s/]+(?:/[^()\s/]+)+\)`;

/** Delivery hops written by the IMAP server's LMTP (Dovecot, Cyrus), whichever MTA is the MX. */
const LMTP = shape("delivery", String.raw`^from \S+(?: \([^()]*\))? by (?<by>${HOST})(?: ${C})? with (?<proto>LMTPS?A?)${TAIL}`);

const GRAMMARS: Record<Mta, Shape[]> = {
  // smtpd.c: "from %s (%s [%s])" HELO (or name), name, address; then "by %s (%s) with %s id %s".
  postfix: [
    shape("client", String.raw`^from ${HELO} \(${HOST} \[(?<ip>${LIT})\](?::\d+)?\)${MID} by (?<by>${HOST})(?: ${C})? ${withProto}${TAIL}`),
    shape("hidden", String.raw`^by (?<by>${HOST}) ${C} ${withProto}${TAIL}`),
    // pickup: "by %s (Postfix, from userid %ld) id %s".
    shape("delivery", String.raw`^by (?<by>${HOST}) \([^()]*from userid \d+\) id${TAIL}`),
  ],
  // received_header_text: "from $sender_rcvhost" = "name ([ip]:port helo=… ident=…)" or "[ip] (port=… helo=…)".
  exim: [
    shape("client", String.raw`^from ${HOST} \(\[(?<ip>${LIT})\](?::\d+)?(?: [^()]*)?\) by (?<by>${HOST}) ${withProto}${TAIL}`),
    shape("client", String.raw`^from \[(?<ip>${LIT})\](?::\d+)?(?: \([^()]*\))? by (?<by>${HOST}) ${withProto}${TAIL}`),
    shape("delivery", String.raw`^(?:from \S+ )?(?:\(helo=[^()]*\) )?by (?<by>${HOST}) with (?<proto>local[a-z-]*)${TAIL}`),
    shape("hidden", String.raw`^by (?<by>${HOST}) ${withProto}${TAIL}`),
  ],
  // smtp_session.c: "from %s (%s [%s])" HELO, rdns, address ("local" for the socket); mask-src drops it.
  opensmtpd: [
    shape("client", String.raw`^from ${HELO} \(${HOST} \[(?<ip>${LIT}|local)\]\) by (?<by>${HOST}) \(OpenSMTPD\) ${withProto}${TAIL}`),
    shape("hidden", String.raw`^by (?<by>${HOST}) \(OpenSMTPD\) ${withProto}${TAIL}`),
  ],
  // Default $Received macro (cf/m4/cfhead.m4 _REC_HDR_ … _REC_BY_): "from $s ($_)" or "($_)" without HELO;
  // $_ = "[user@]name [addr]" (may be forged); then "by $j ($v/$Z) with $r id $i". The ($v/$Z) versions
  // are required: without them an Exchange MAPI hop ("by host ([addr]) with mapi") would read as a client.
  sendmail: [
    shape(
      "client",
      String.raw`^from ${HELO} \((?:\S+@)?(?:${HOST} )?\[(?<ip>${LIT})\](?: \(may be forged\))?\)${MID} by (?<by>${HOST}) ${SMV} ${withProto}${TAIL}`,
    ),
    shape("client", String.raw`^\(from (?:\S+@)?(?:${HOST} )?\[(?<ip>${LIT})\](?: \(may be forged\))?\)${MID} by (?<by>${HOST}) ${SMV} ${withProto}${TAIL}`),
    shape("delivery", String.raw`^\(from [^()\[\]]*\)${MID} by (?<by>${HOST}) ${SMV} id${TAIL}`),
  ],
  // Transport service: "from HELO (addr) by host (addr) with Microsoft SMTP Server (version=…, cipher=…) id …".
  exchange: [
    shape(
      "client",
      String.raw`^from ${HELO} \(\[?(?<ip>${LIT})\]?\) by (?<by>${HOST})(?: \([^()]*\))? with (?<proto>Microsoft SMTP Server|Microsoft SMTPSVC(?:\([^()]*\))?|E?SMTPS?A?)${TAIL}`,
    ),
    shape("delivery", String.raw`^(?:from \S+(?: \([^()]*\))? )?by (?<by>${HOST})(?: \([^()]*\))? with (?<proto>mapi|MAPI)${TAIL}`),
  ],
  // inbound/data.rs write_received: "from HELO (ptr-or-unknown [ip] (ASN name, country))" — the
  // ASN/country comment only with a GeoIP/ASN database — "(using V with cipher C) by host (Stalwart SMTP) with ESMTP[S][A]".
  stalwart: [
    shape("client", String.raw`^from ${HELO} \(${HOST} \[(?<ip>${LIT})\](?: \([^()]*\))?\)${MID} by (?<by>${HOST}) \(Stalwart SMTP\) ${withProto}${TAIL}`),
  ],
  // smtpserver/server.go: "from HELO-or-[literal] ([rdns ][ip]) by host ([local ip]) via tcp with
  // ESMTP[S][A] id X (TLS comment) for <rcpt>" (older releases: no "via tcp", no id); a submission
  // names only our host: "from host by host ([local ip]) …". The local address is never the client.
  mox: [
    shape(
      "client",
      String.raw`^from ${HELO} \((?:${HOST} )?\[(?<ip>${LIT})\]\)(?: \(${HOST}\))? by (?<by>${HOST}) \(\[${LIT}\]\)(?: \(${HOST}\))?(?: via tcp)? ${withProto}${TAIL}`,
    ),
    shape("hidden", String.raw`^from ${HOST}(?: \(${HOST}\))? by (?<by>${HOST}) \(\[${LIT}\]\)(?: \(${HOST}\))?(?: via tcp)? ${withProto}${TAIL}`),
  ],
};

function tlsOf(mta: Mta, g: Record<string, string | undefined>): EntryTls {
  const proto = g["proto"] ?? "";
  const mid = g["mid"] ?? "";
  const tail = g["tail"] ?? "";
  const using = /^ \(using (TLSv[\d.]+|SSLv\d) with cipher ([\w-]+)/.exec(mid);
  if (using) return { tls: true, protocol: using[1], cipher: using[2], with: proto };
  if (mta === "exim") {
    const t = /^ \((TLS[\d.]+)(?::([\w-]+))?[^()]*\)(?: tls ([\w-]+))?/.exec(tail);
    const tls = /smtps/i.test(proto) || /smtpsa/i.test(proto);
    return { tls, ...(t && tls ? { protocol: t[1], cipher: t[3] ?? t[2] } : {}), with: proto };
  }
  if (mta === "exchange") {
    const t = /^ \((?:version=([\w.]+), cipher=([\w-]+)|TLS)\)/.exec(tail);
    return t ? { tls: true, ...(t[1] ? { protocol: t[1], cipher: t[2] } : {}), with: proto } : { with: proto };
  }
  if (mta === "opensmtpd") {
    const t = / id [0-9a-f]+ \((TLSv[\d.]+):([^:()]+):/.exec(tail);
    if (t) return { tls: true, protocol: t[1], cipher: t[2], with: proto };
  }
  if (mta === "mox") {
    const t = /^(?: \([^()]*\))?(?: id \S+)? \((TLS[\d.]+) ([\w-]+)\)/.exec(tail);
    if (t) return { tls: true, protocol: t[1], cipher: t[2], with: proto };
  }
  if (mta === "sendmail") {
    const t = / \(version=(TLSv[\d.]+) cipher=([\w-]+)/.exec(tail);
    if (t) return { tls: true, protocol: t[1], cipher: t[2], with: proto };
  }
  // RFC 3848: the S in ESMTPS / ESMTPSA / UTF8SMTPS means TLS. Without it, EHLO (ESMTP) names a
  // plain session; HELO (SMTP) may still run on an implicit-TLS port (Postfix): unknown.
  const p = proto.toUpperCase();
  if (/^(?:E?SMTP|UTF8SMTP)SA?$/.test(p)) return { tls: true, with: proto };
  if (/^(?:ESMTP|UTF8SMTP)A?$/.test(p) || (mta === "opensmtpd" && /^SMTPA?$/.test(p))) return { tls: false, with: proto };
  return { with: proto };
}

function matchShape(s: Shape, value: string): Record<string, string | undefined>[] {
  const variants = s.re.includes(HELO) ? [s.re.replace(HELO, "(?<helo>.+?)"), s.re.replace(HELO, "(?<helo>.+)")] : [s.re];
  const out: Record<string, string | undefined>[] = [];
  for (const v of variants) {
    const m = new RegExp(v).exec(value);
    if (m?.groups) out.push(m.groups);
  }
  return out;
}

/** Two readings are one parse only if the client's HELO ends at the same place in both. */
const key = (g: Record<string, string | undefined>) => `${g["helo"]?.length ?? -1}|${g["ip"] ?? ""}|${g["by"] ?? ""}|${g["proto"] ?? ""}|${g["mid"] ?? ""}`;

/** Reads one Received value under one MTA's grammar; a shape that matches in two ways is unparsed. */
export function readHop(value: string, mta: Mta): HopReading {
  const v = value.split(";").length > 1 ? value.slice(0, value.lastIndexOf(";")).trim() : value.trim();
  if (v.length > MAX_VALUE) return { kind: "unparsed", note: `longer than ${MAX_VALUE} characters` };
  for (const s of [...GRAMMARS[mta], LMTP]) {
    const found = matchShape(s, v);
    if (!found.length) continue;
    if (new Set(found.map(key)).size > 1) return { kind: "unparsed", by: found[0]!["by"], note: `client-chosen text imitates ${mta}'s structure` };
    const g = found[0]!;
    const out: HopReading = { kind: s.kind, by: g["by"]?.toLowerCase().replace(/\.$/, "") };
    if (g["proto"]) out.proto = g["proto"];
    // An LMTP hop is delivery (Dovecot's reads like Exim's), as is OpenSMTPD's local socket.
    if (s.kind === "client" && (g["ip"] === "local" || /^LMTP/i.test(g["proto"] ?? ""))) return { ...out, kind: "delivery" };
    if (g["ip"]) out.ip = g["ip"];
    if (s.kind === "client" || s.kind === "hidden") out.tls = tlsOf(mta, g);
    return out;
  }
  return { kind: "unparsed", note: `not in ${mta}'s Received grammar` };
}

/** Every host named after a bare `by` outside comments: how an unparsed header is known to be ours. */
export function looseByHosts(value: string): string[] {
  const bare = value.replace(/\((?:[^()]|\([^()]*\))*\)/g, " ");
  return [...bare.matchAll(/(?:^|\s)by\s+([^\s;()]+)/gi)].map((m) => m[1]!.toLowerCase().replace(/\.$/, ""));
}
