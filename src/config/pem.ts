// Whether a CA file holds a certificate, without node:crypto: loading it and parsing with
// X509Certificate cost `validate` ~25 ms of a ~230 ms start (docs/benchmarks.md §0). The first
// `-----BEGIN CERTIFICATE-----` block is decoded and its DER read against X.509's outline: every
// element's children fill it exactly (definite lengths, as DER requires); strings, times, OIDs,
// integers and bit strings keep DER's rules; the Certificate, its tbsCertificate, names, validity,
// key info and extensions have their fields in order. A key, a CSR, a DER file, cut or damaged
// base64 fail it, and so does all generated damage to real certificates that OpenSSL refuses
// (test/config/pem.test.ts). Where it says no, the caller asks X509Certificate, whose verdict
// stands: a file OpenSSL reads is never refused here. What the outline does not judge (a signature,
// an algorithm's parameters) the TLS handshake does at connect time, naming the path.

const MAX_DEPTH = 32;
const BEGIN = "-----BEGIN CERTIFICATE-----";
const END = "-----END CERTIFICATE-----";
/** A base64 line as PEM writers make them (64 or 76 characters, the last shorter). */
const B64_LINE = /^(?=.)[A-Za-z0-9+/]{0,76}={0,2}$/;

/**
 * The DER of the first CERTIFICATE block, framed the plain way OpenSSL's PEM reader reads it: the
 * BEGIN and END lines whole, between them only non-empty base64 lines (LF or CRLF ends), canonical
 * base64, no other block before it. Anything else (headers, blank lines, other whitespace, text on
 * the BEGIN line, a key or an older "X509 CERTIFICATE" block first, lone CRs) is left to
 * X509Certificate: undefined.
 */
function pemBody(text: string): Buffer | undefined {
  if (/\r(?!\n)/.test(text)) return undefined;
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  const begin = lines.indexOf(BEGIN);
  // Only text before it: another block first (a key, an older "X509 CERTIFICATE") is X509Certificate's to read.
  if (begin < 0 || lines.slice(0, begin).some((l) => l.includes("-----"))) return undefined;
  const end = lines.indexOf(END, begin);
  if (end < 0) return undefined;
  const body = lines.slice(begin + 1, end);
  const padded = body.findIndex((l) => l.includes("="));
  if (!body.length || !body.every((l) => B64_LINE.test(l)) || (padded >= 0 && padded !== body.length - 1)) return undefined;
  const b64 = body.join("");
  const der = Buffer.from(b64, "base64");
  return b64.length % 4 === 0 && der.toString("base64") === b64 ? der : undefined;
}

interface Tlv {
  tag: number;
  /** Whether the element holds elements (bit 6 of the identifier). */
  constructed: boolean;
  /** Where its contents start and end. */
  start: number;
  end: number;
}

/** One DER element at `p`, within `limit`; undefined if it does not fit or is not DER. */
function tlv(der: Uint8Array, p: number, limit: number): Tlv | undefined {
  if (p + 2 > limit) return undefined;
  const id = der[p]!;
  let q = p + 1;
  // High tag numbers (0x1f): no certificate field uses one; X509Certificate judges such a file.
  if ((id & 0x1f) === 0x1f || q >= limit) return undefined;
  const first = der[q++]!;
  let len = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    // 0x80 is BER's indefinite length (not DER); more than 4 length bytes is no certificate.
    if (n === 0 || n > 4 || q + n > limit) return undefined;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[q++]!;
  }
  if (q + len > limit) return undefined;
  return { tag: id, constructed: (id & 0x20) !== 0, start: q, end: q + len };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** DER's rules for the universal types a certificate holds outside its extensions' OCTET STRINGs. */
function primitiveOk(der: Uint8Array, e: Tlv): boolean {
  const v = der.subarray(e.start, e.end);
  const text = () => Buffer.from(v.buffer, v.byteOffset, v.length).toString("latin1");
  switch (e.tag) {
    case 0x01: // BOOLEAN
      return v.length === 1 && (v[0] === 0 || v[0] === 0xff);
    case 0x02: // INTEGER, minimal
      return v.length > 0 && !(v.length > 1 && ((v[0] === 0 && v[1]! < 0x80) || (v[0] === 0xff && v[1]! >= 0x80)));
    case 0x03: // BIT STRING: the count of unused bits first
      return v.length > 0 && v[0]! <= 7 && (v.length > 1 || v[0] === 0);
    case 0x05: // NULL
      return v.length === 0;
    case 0x06: // OBJECT IDENTIFIER: base-128 arcs, none padded, the last one ended
      return v.length > 0 && (v.at(-1)! & 0x80) === 0 && v.every((b, i) => b !== 0x80 || (i > 0 && v[i - 1]! & 0x80));
    case 0x17: // UTCTime
      return /^\d{12}Z$/.test(text());
    case 0x18: // GeneralizedTime
      return /^\d{14}Z$/.test(text());
    case 0x0c: // UTF8String
      try {
        utf8.decode(v);
        return true;
      } catch {
        return false;
      }
    case 0x13: // PrintableString
      return /^[A-Za-z0-9 '()+,./:=?-]*$/.test(text());
    case 0x16: // IA5String
      return v.every((b) => b < 0x80);
    case 0x1c: // UniversalString: UCS-4, Unicode scalar values only
      return v.length % 4 === 0 && units(v, 4).every((c) => c <= 0x10ffff && (c < 0xd800 || c > 0xdfff));
    case 0x1e: // BMPString: UCS-2, no surrogates
      return v.length % 2 === 0 && units(v, 2).every((c) => c < 0xd800 || c > 0xdfff);
    default:
      // OCTET STRING, T61String, context-specific primitives ([1] issuerUniqueID …).
      return e.tag === 0x04 || e.tag === 0x14 || (e.tag & 0xc0) !== 0;
  }
}

/** Big-endian code units of `size` bytes. */
function units(v: Uint8Array, size: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < v.length; i += size) out.push(v.subarray(i, i + size).reduce((n, b) => n * 256 + b, 0));
  return out;
}

/** The elements filling [start, end) exactly; undefined if they do not, or one inside is malformed. */
function children(der: Uint8Array, start: number, end: number, depth: number): Tlv[] | undefined {
  const out: Tlv[] = [];
  for (let p = start; p < end;) {
    const e = tlv(der, p, end);
    if (!e || (e.constructed ? !constructedOk(der, e, depth + 1) : !primitiveOk(der, e))) return undefined;
    out.push(e);
    p = e.end;
  }
  return out;
}

/** A constructed universal type is a SEQUENCE or a SET (DER encodes strings and times primitive). */
function constructedOk(der: Uint8Array, e: Tlv, depth: number): boolean {
  if ((e.tag & 0xc0) === 0 && e.tag !== 0x30 && e.tag !== 0x31) return false;
  return depth <= MAX_DEPTH && children(der, e.start, e.end, depth) !== undefined;
}

const SEQUENCE = 0x30;
const SET = 0x31;
const INTEGER = 0x02;
const BIT_STRING = 0x03;
const OCTET_STRING = 0x04;
const BOOLEAN = 0x01;
const OID = 0x06;
const TIMES = [0x17, 0x18];
/** The string types a Name's attribute values are (OpenSSL refuses others: "mstring not universal"). */
const NAME_STRINGS = [0x0c, 0x13, 0x14, 0x16, 0x1c, 0x1e];

type Check = (der: Uint8Array, e: Tlv) => boolean;
const tag =
  (t: number | number[], inner?: Check): Check =>
  (der, e) =>
    (typeof t === "number" ? e.tag === t : t.includes(e.tag)) && (!inner || inner(der, e));
/** The element's children, each passing its check in turn (`rest`: any count more of the last). */
const seq =
  (t: number, checks: Check[], o: { optionalFrom?: number; rest?: boolean } = {}): Check =>
  (der, e) => {
    if (e.tag !== t) return false;
    const kids = children(der, e.start, e.end, 0);
    if (!kids || kids.length < (o.optionalFrom ?? checks.length) || (!o.rest && kids.length > checks.length)) return false;
    return kids.every((k, i) => checks[Math.min(i, checks.length - 1)]!(der, k));
  };
const any: Check = () => true;
const algorithm = seq(SEQUENCE, [tag(OID), any], { optionalFrom: 1 });
const name = seq(SEQUENCE, [seq(SET, [seq(SEQUENCE, [tag(OID), tag(NAME_STRINGS)])], { optionalFrom: 1, rest: true })], { optionalFrom: 0, rest: true });
/** Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
const extension: Check = (der, e) => {
  const kids = e.tag === SEQUENCE ? children(der, e.start, e.end, 0) : undefined;
  const shape = kids?.map((k) => k.tag).join(",");
  return shape === `${OID},${OCTET_STRING}` || shape === `${OID},${BOOLEAN},${OCTET_STRING}`;
};
const extensions = seq(0xa3, [seq(SEQUENCE, [extension], { optionalFrom: 1, rest: true })]);
const tbsTail: Check[] = [
  tag(INTEGER), // serialNumber
  algorithm, // signature
  name, // issuer
  seq(SEQUENCE, [tag(TIMES), tag(TIMES)]), // validity
  name, // subject
  seq(SEQUENCE, [algorithm, tag(BIT_STRING)]), // subjectPublicKeyInfo
];
/** [0] EXPLICIT Version: v2 (1) or v3 (2); v1 is written by leaving the field out. */
const version = seq(0xa0, [(der, e) => e.tag === INTEGER && e.end - e.start === 1 && (der[e.start] === 1 || der[e.start] === 2)]);
/** issuerUniqueID [1], subjectUniqueID [2], extensions [3], each at most once, in order. */
const uniqueId: Check = (der, e) => primitiveOk(der, { ...e, tag: BIT_STRING });
const optionalTail: [number, Check][] = [
  [0x81, uniqueId],
  [0x82, uniqueId],
  [0xa3, extensions],
];

/** True when the text's first CERTIFICATE block is well-formed DER in a certificate's outline. */
export function looksLikeCertificate(text: string): boolean {
  const der = pemBody(text);
  if (!der) return false;
  const cert = tlv(der, 0, der.length);
  if (!cert || cert.tag !== SEQUENCE || cert.end !== der.length) return false;
  const parts = children(der, cert.start, cert.end, 1);
  if (!parts || parts.length !== 3) return false;
  const [tbs, alg, sig] = parts as [Tlv, Tlv, Tlv];
  if (tbs.tag !== SEQUENCE || !algorithm(der, alg) || sig.tag !== BIT_STRING) return false;
  const fields = children(der, tbs.start, tbs.end, 2)!;
  const versioned = fields[0]?.tag === 0xa0;
  if (versioned && !version(der, fields[0]!)) return false;
  let i = versioned ? 1 : 0;
  if (fields.length < i + tbsTail.length || !tbsTail.every((c, k) => c(der, fields[i + k]!))) return false;
  i += tbsTail.length;
  // Unique IDs and extensions only in a versioned (v2, v3) certificate.
  if (versioned) for (const [t, c] of optionalTail) if (fields[i]?.tag === t && c(der, fields[i]!)) i++;
  return i === fields.length;
}
