// The CA file's certificate check without node:crypto (src/config/pem.ts, issue 23): certificates
// OpenSSL makes pass it; what is not a certificate fails it (then X509Certificate decides, as before);
// and, over generated damage to real certificates (truncated, a byte changed, inserted or dropped),
// whatever passes it X509Certificate reads too — it never says yes where OpenSSL says no.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { looksLikeCertificate } from "../../src/config/pem.js";
import { readCa } from "../../src/config/secrets.js";
import type { ConfigIssue } from "../../src/config/issues.js";
import { derOf as der, opensslDir, pemOf as pem, x509Reads as x509 } from "../helpers/pem.js";
import { rng } from "../helpers/prng.js";

const { dir, openssl } = opensslDir("mailprobe-pem-");
const read = (f: string) => readFileSync(join(dir, f), "utf8");

/** Certificates of every key type and shape a CA file holds: self-signed v3 with extensions, v1, a CA that signed a leaf. */
const certs: Record<string, string> = {};
const keys: Record<string, string[]> = {
  rsa: ["-newkey", "rsa:2048"],
  ec: ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
  ed25519: ["-newkey", "ed25519"],
};
for (const [k, args] of Object.entries(keys)) {
  openssl("req", "-x509", ...args, "-nodes", "-keyout", `${k}.key`, "-out", `${k}.crt`, "-subj", `/CN=mailprobe ${k} CA/O=Lab \u00e9/C=DE`, "-days", "30");
  certs[k] = read(`${k}.crt`);
}
openssl("req", "-new", "-key", "rsa.key", "-out", "leaf.csr", "-subj", "/CN=mx.example.test");
openssl("x509", "-req", "-in", "leaf.csr", "-signkey", "rsa.key", "-out", "v1.crt", "-days", "30");
writeFileSync(join(dir, "san.ext"), "subjectAltName=DNS:mx.example.test,IP:127.0.0.1\nbasicConstraints=critical,CA:FALSE\n");
openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ec.crt", "-CAkey", "ec.key", "-CAcreateserial", "-extfile", "san.ext", "-out", "leaf.crt", "-days", "30");
certs.v1 = read("v1.crt");
certs.leaf = read("leaf.crt");

test("certificates OpenSSL makes pass the outline, as files hold them (a chain, text before, CRLF)", () => {
  assert.match(openssl("x509", "-in", "v1.crt", "-noout", "-text"), /Version: 1 \(0x0\)/, "the v1 certificate is one");
  const files: Record<string, string> = {
    ...certs,
    chain: certs.leaf! + certs.ec!,
    "bag attributes": `Bag Attributes\n    friendlyName: lab\nsubject=/CN=lab\n${certs.rsa}`,
    crlf: certs.ec!.replace(/\n/g, "\r\n"),
  };
  for (const [what, text] of Object.entries(files)) {
    assert.ok(x509(text), `${what}: X509Certificate reads it`);
    assert.ok(looksLikeCertificate(text), `${what}: the outline passes it`);
  }
  // A block of another kind first (here the key): the outline leaves it to X509Certificate, which reads it.
  const keyFirst = read("rsa.key") + certs.ed25519!;
  assert.equal(looksLikeCertificate(keyFirst), false);
  writeFileSync(join(dir, "key-first.pem"), keyFirst);
  const issues: ConfigIssue[] = [];
  assert.equal(readCa(join(dir, "key-first.pem"), "probes[0].imap.caFile", issues), keyFirst);
  assert.deepEqual(issues, []);
});

test("what is not a certificate fails the outline (X509Certificate then decides)", () => {
  openssl("pkey", "-in", "ec.key", "-pubout", "-out", "ec.pub");
  const cases: Record<string, string> = {
    "a private key": read("rsa.key"),
    "a public key": read("ec.pub"),
    "a CSR": read("leaf.csr"),
    "a CSR's base64 under a CERTIFICATE header": pem(der(read("leaf.csr"))),
    "DER bytes": der(certs.rsa!).toString("latin1"),
    empty: "",
    "a header alone": "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
    "text in the base64": certs.ec!.replace(/\n([A-Za-z0-9+/]{10})/, "\n$1 not base64 "),
  };
  for (const [what, text] of Object.entries(cases)) {
    assert.equal(looksLikeCertificate(text), false, what);
    assert.equal(x509(text), false, `${what}: X509Certificate refuses it too`);
  }
});

test("generated damage: whatever passes the outline, X509Certificate reads (6,000 cases over 5 certificates)", () => {
  const r = rng(2312);
  const kinds = { truncated: 0, changed: 0, inserted: 0, dropped: 0 };
  let passed = 0;
  let refused = 0;
  for (const [name, text] of Object.entries(certs)) {
    const d = der(text);
    for (let i = 0; i < 1200; i++) {
      const at = Math.floor(r() * d.length);
      const byte = Math.floor(r() * 256);
      const k = (["truncated", "changed", "inserted", "dropped"] as const)[i % 4]!;
      const m =
        k === "truncated"
          ? d.subarray(0, at)
          : k === "changed"
            ? Buffer.concat([d.subarray(0, at), Buffer.from([byte === d[at] ? byte ^ 1 : byte]), d.subarray(at + 1)])
            : k === "inserted"
              ? Buffer.concat([d.subarray(0, at), Buffer.from([byte]), d.subarray(at)])
              : Buffer.concat([d.subarray(0, at), d.subarray(at + 1)]);
      const t = pem(m);
      kinds[k]++;
      if (!looksLikeCertificate(t)) {
        refused++;
        continue;
      }
      passed++;
      assert.ok(x509(t), `${name}, ${k} at ${at} (byte ${byte}): the outline passed what X509Certificate refuses`);
    }
  }
  // Both verdicts occur: a change inside a name or the signature leaves a certificate.
  assert.ok(passed > 500 && refused > 500, `passed ${passed}, refused ${refused}`);
});

test("readCa: a certificate is returned, anything else named with the same message as before", () => {
  const issues: ConfigIssue[] = [];
  assert.equal(readCa(join(dir, "leaf.crt"), "probes[0].imap.caFile", issues), certs.leaf);
  writeFileSync(join(dir, "damaged.crt"), pem(der(certs.rsa!).subarray(0, 300)));
  assert.equal(readCa(join(dir, "rsa.key"), "probes[0].imap.caFile", issues), undefined);
  assert.equal(readCa(join(dir, "damaged.crt"), "probes[0].paths[1].caFile", issues), undefined);
  assert.deepEqual(
    issues.map((i) => i.field),
    ["probes[0].imap.caFile", "probes[0].paths[1].caFile"],
  );
  for (const i of issues) assert.match(i.message, /is not a PEM certificate \(-----BEGIN CERTIFICATE-----\)/);
});

// Real CA certificates, as operators point caFile at them: every one the system ships passes the
// outline (none is left to the slower X509Certificate path) and X509Certificate reads it.
const systemCas = existsSync("/etc/ssl/certs") ? readdirSync("/etc/ssl/certs").filter((f) => f.endsWith(".pem")) : [];
test("the system's CA certificates (/etc/ssl/certs) all pass the outline", { skip: systemCas.length ? false : "no /etc/ssl/certs/*.pem here" }, () => {
  const refused = systemCas.filter((f) => {
    const text = readFileSync(join("/etc/ssl/certs", f), "utf8");
    return !looksLikeCertificate(text) || !x509(text);
  });
  assert.deepEqual(refused, [], `of ${systemCas.length}`);
});
