// rev3 (hostile review of 77ccb7c): inputs where src/config/pem.ts's outline says yes but
// X509Certificate (OpenSSL) refuses the file — validate would pass a CA file the probe cannot load —
// and inputs where the outline throws out of readCa on a file OpenSSL reads.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { looksLikeCertificate } from "../../src/config/pem.js";
import { readCa } from "../../src/config/secrets.js";
import type { ConfigIssue } from "../../src/config/issues.js";
import { derOf as der, opensslDir, pemOf as pem, x509Reads as x509 } from "../helpers/pem.js";
import { rng } from "../helpers/prng.js";

const { dir, openssl } = opensslDir("mailprobe-pem-hostile-");
openssl(
  "req",
  "-x509",
  "-newkey",
  "ec",
  "-pkeyopt",
  "ec_paramgen_curve:P-256",
  "-nodes",
  "-keyout",
  "ec.key",
  "-out",
  "ec.crt",
  "-subj",
  "/CN=lab",
  "-days",
  "30",
);
const good = readFileSync(join(dir, "ec.crt"), "utf8");

const len = (n: number) => (n < 128 ? [n] : n < 256 ? [0x81, n] : n < 65536 ? [0x82, n >> 8, n & 255] : [0x83, n >> 16, (n >> 8) & 255, n & 255]);
/** One DER element: tag, length, the bodies concatenated. */
const T = (tag: number, ...body: (number[] | Uint8Array)[]) => {
  const b = Buffer.concat(body.map((x) => Buffer.from(x)));
  return Buffer.concat([Buffer.from([tag, ...len(b.length)]), b]);
};
/** The children of a constructed element (whole TLV given). */
function kids(d: Buffer): Buffer[] {
  const read = (p: number): [number, number] => {
    let l = d[p++]!;
    if (l & 0x80) {
      const n = l & 0x7f;
      l = 0;
      for (let i = 0; i < n; i++) l = l * 256 + d[p++]!;
    }
    return [p, l];
  };
  const out: Buffer[] = [];
  const [start, l] = read(1);
  for (let p = start; p < start + l;) {
    const [q, m] = read(p + 1);
    out.push(d.subarray(p, q + m));
    p = q + m;
  }
  return out;
}
const [tbs, alg, sig] = kids(der(good)) as [Buffer, Buffer, Buffer];
const f = kids(tbs); // version, serial, signature, issuer, validity, subject, spki, [3] extensions
assert.deepEqual(
  f.map((e) => e[0]),
  [0xa0, 0x02, 0x30, 0x30, 0x30, 0x30, 0x30, 0xa3],
);
const cert = (fields: Uint8Array[], a: Uint8Array = alg) => pem(T(0x30, T(0x30, ...fields), a, sig));
const oneExt = (e: Uint8Array) => cert([...f.slice(0, 7), T(0xa3, T(0x30, e))]);
const extOid = kids(kids(kids(f[7]!)[0]!)[0]!)[0]!;
const cnName = (stringTag: number, v: number[]) => T(0x30, T(0x31, T(0x30, [6, 3, 0x55, 4, 3], T(stringTag, v))));
const body = der(good).toString("base64");
const lines = body.replace(/.{64}/g, "$&\n");

const cases: Record<string, string> = {
  // DER the outline passes, OpenSSL's X509 template refuses
  "an extension without extnValue ({OID, BOOLEAN})": oneExt(T(0x30, extOid, [1, 1, 0xff])),
  "an extension whose critical is an OCTET STRING ({OID, OCTET STRING, OCTET STRING})": oneExt(T(0x30, extOid, [4, 0], [4, 0])),
  "issuer CN a UniversalString beyond Unicode (FFFFFFFF)": cert([...f.slice(0, 3), cnName(0x1c, [0xff, 0xff, 0xff, 0xff]), ...f.slice(4)]),
  "subject CN a BMPString holding a lone surrogate (D800)": cert([...f.slice(0, 5), cnName(0x1e, [0xd8, 0x00]), ...f.slice(6)]),
  "signature algorithm parameters a high tag number overflowing (9F FF FF FF FF FF 7F)": cert(
    f,
    T(0x30, kids(alg)[0]!, [0x9f, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0]),
  ),
  // PEM the regex + Buffer's lenient base64 pass, OpenSSL's PEM reader refuses
  "every line indented (pasted from a YAML block)": good.replace(/^/gm, "    "),
  "a damaged TRUSTED CERTIFICATE block first (OpenSSL reads it as the certificate)": `-----BEGIN TRUSTED CERTIFICATE-----\nAAAAAAAA\n-----END TRUSTED CERTIFICATE-----\n${good}`,
  "a damaged X509 CERTIFICATE block first (OpenSSL reads it as the certificate)": `-----BEGIN X509 CERTIFICATE-----\nAAAAAAAA\n-----END X509 CERTIFICATE-----\n${good}`,
  "a blank line before END": good.replace("\n-----END", "\n\n-----END"),
  "BEGIN, base64 and END on one line": `-----BEGIN CERTIFICATE-----${body}-----END CERTIFICATE-----\n`,
  "base64 on the BEGIN line": `-----BEGIN CERTIFICATE-----${lines}\n-----END CERTIFICATE-----\n`,
  "base64 on the END line": `-----BEGIN CERTIFICATE-----\n${lines}-----END CERTIFICATE-----\n`,
  "text before BEGIN on its line": `# CA\u00a0${good}`,
  "a space before BEGIN": ` ${good}`,
  "old-Mac line ends (CR only)": good.replace(/\n/g, "\r"),
  "a no-break space (U+00A0) in the base64": good.replace(/\n(?=[A-Za-z])/, "\n\u00a0"),
  "a vertical tab in the base64": good.replace(/\n(?=[A-Za-z])/, "\n\v"),
  "a form feed in the base64": good.replace(/\n(?=[A-Za-z])/, "\n\f"),
  "U+2028 in the base64": good.replace(/\n(?=[A-Za-z])/, "\n\u2028"),
  "base64 after the padding": good.replace("\n-----END", "\n====\nAAAA\n-----END"),
  "an encrypted (Proc-Type) CERTIFICATE block first, a good one second": `-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END CERTIFICATE-----\n${good}`,
};

for (const [what, text] of Object.entries(cases)) {
  test(`outline says no where OpenSSL says no: ${what}`, () => {
    assert.equal(x509(text), false, "X509Certificate refuses it (the premise)");
    assert.equal(looksLikeCertificate(text), false, "the outline passed a file X509Certificate cannot read");
  });
}

test("a file OpenSSL reads never makes the outline (readCa) throw: a 200 kB string in the algorithm parameters", () => {
  const text = cert(f, T(0x30, kids(alg)[0]!, T(0x13, Buffer.alloc(200_000, 0x41))));
  assert.ok(x509(text), "X509Certificate reads it (the premise)");
  const file = join(dir, "big.crt");
  writeFileSync(file, text);
  const issues: ConfigIssue[] = [];
  assert.equal(readCa(file, "probes[0].imap.caFile", issues), text); // RangeError: Maximum call stack size exceeded
  assert.deepEqual(issues, []);
});

test("generated PEM-level edits (4,000): whatever passes the outline, X509Certificate reads", () => {
  const r = rng(2026);
  const bits = [
    "\n",
    "\r",
    " ",
    "\t",
    "=",
    "-",
    "A",
    "\v",
    "\u00a0",
    ":",
    "\r\n",
    "==",
    "-----BEGIN CERTIFICATE-----\n",
    "-----END CERTIFICATE-----\n",
    "-----BEGIN RSA PRIVATE KEY-----\n",
  ];
  const wrong: string[] = [];
  for (let i = 0; i < 4000; i++) {
    let t = good;
    for (let j = 0; j <= i % 3; j++) {
      const at = Math.floor(r() * t.length);
      const bit = bits[Math.floor(r() * bits.length)]!;
      const op = i % 4;
      t = op < 2 ? t.slice(0, at) + bit + t.slice(at) : op < 3 ? t.slice(0, at) + t.slice(at + 1) : t.slice(0, at) + bit + t.slice(at + 1);
    }
    if (i % 5 === 0) t += good;
    if (looksLikeCertificate(t) && !x509(t)) wrong.push(JSON.stringify(t.slice(0, 200)));
  }
  assert.deepEqual(wrong.slice(0, 3), [], `${wrong.length} edited files pass the outline but not X509Certificate`);
});
