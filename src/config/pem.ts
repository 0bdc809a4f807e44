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

const BLOCK = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/;
const MAX_DEPTH = 32;

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
  if ((id & 0x1f) === 0x1f) {
    // High tag number: base-128 digits, the last without bit 8.
    while (q < limit && der[q]! & 0x80) q++;
    q++;
  }
  if (q >= limit) return undefined;
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
  const text = () => String.fromCharCode(...v);
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
    case 0x1c: // UniversalString: UCS-4
      return v.length % 4 === 0;
    case 0x1e: // BMPString: UCS-2
      return v.length % 2 === 0;
    default:
      // OCTET STRING, T61String, context-specific primitives ([1] issuerUniqueID …).
      return e.tag === 0x04 || e.tag === 0x14 || (e.tag & 0xc0) !== 0;
  }
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
const extension = seq(SEQUENCE, [tag(OID), tag([BOOLEAN, OCTET_STRING]), tag(OCTET_STRING)], { optionalFrom: 2 });
const extensions = seq(0xa3, [seq(SEQUENCE, [extension], { optionalFrom: 1, rest: true })]);
const tbsTail: Check[] = [
  tag(INTEGER), // serialNumber
  algorithm, // signature
  name, // issuer
  seq(SEQUENCE, [tag(TIMES), tag(TIMES)]), // validity
  name, // subject
  seq(SEQUENCE, [algorithm, tag(BIT_STRING)]), // subjectPublicKeyInfo
];
const version = seq(0xa0, [tag(INTEGER)]);
/** issuerUniqueID [1], subjectUniqueID [2], extensions [3], each at most once, in order. */
const uniqueId: Check = (der, e) => primitiveOk(der, { ...e, tag: BIT_STRING });
const optionalTail: [number, Check][] = [
  [0x81, uniqueId],
  [0x82, uniqueId],
  [0xa3, extensions],
];

/** True when the text's first CERTIFICATE block is well-formed DER in a certificate's outline. */
export function looksLikeCertificate(text: string): boolean {
  const m = BLOCK.exec(text);
  if (!m) return false;
  const der = Buffer.from(m[1]!.replace(/\s+/g, ""), "base64");
  const cert = tlv(der, 0, der.length);
  if (!cert || cert.tag !== SEQUENCE || cert.end !== der.length) return false;
  const parts = children(der, cert.start, cert.end, 1);
  if (!parts || parts.length !== 3) return false;
  const [tbs, alg, sig] = parts as [Tlv, Tlv, Tlv];
  if (tbs.tag !== SEQUENCE || !algorithm(der, alg) || sig.tag !== BIT_STRING) return false;
  const fields = children(der, tbs.start, tbs.end, 2)!;
  let i = fields[0]?.tag === 0xa0 ? 1 : 0;
  if (i && !version(der, fields[0]!)) return false;
  if (fields.length < i + tbsTail.length || !tbsTail.every((c, k) => c(der, fields[i + k]!))) return false;
  i += tbsTail.length;
  for (const [t, c] of optionalTail) if (fields[i]?.tag === t && c(der, fields[i]!)) i++;
  return i === fields.length;
}
