// Promise 2 (no secret in any output, in any encoding): forms of a secret that common peers write
// and the redactor missed. Each one is what a real serialiser or URL encoder emits:
// - PHP's json_encode escapes "/" as "\/" by default;
// - Python's json.dumps (ensure_ascii=True, the default) escapes non-ASCII as \uXXXX (lower-case hex);
// - RFC 3986 §2.1 percent-encoding is case-insensitive: "%2f" is as much the secret as "%2F"
//   (proxies and some frameworks re-encode in lower case).
import assert from "node:assert/strict";
import { test } from "node:test";
import { makeRedactor, redactDeep } from "../../src/redact.js";

const secret = "p@ss/w0rd:Secr€t!";

const forms: Record<string, string> = {
  "JSON with escaped solidus (PHP json_encode)": JSON.stringify(secret).slice(1, -1).replace(/\//g, "\\/"),
  "JSON with \\u escapes for non-ASCII (Python json.dumps)": JSON.stringify(secret)
    .slice(1, -1)
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
  "JSON with upper-case \\u escapes": JSON.stringify(secret)
    .slice(1, -1)
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`),
  "percent-encoding in lower-case hex": encodeURIComponent(secret).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
  "form encoding in lower-case hex": new URLSearchParams({ v: secret })
    .toString()
    .slice(2)
    .replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
};

for (const [name, form] of Object.entries(forms)) {
  test(`no secret in output: ${name}`, () => {
    const text = `peer said: {"error":"bad credentials ${form}"}`;
    const out = makeRedactor([secret])(text);
    assert.ok(!out.includes(form), `leaked: ${out}`);
    // And through the deep walk every output uses, as JSON text too.
    const deep = JSON.stringify(redactDeep({ detail: text }, makeRedactor([secret])));
    assert.ok(!deep.includes(JSON.stringify(form).slice(1, -1)), `leaked in JSON: ${deep}`);
    const jsonText = makeRedactor([secret], { json: true })(JSON.stringify({ detail: text }));
    assert.ok(!jsonText.includes(JSON.stringify(form).slice(1, -1)), `leaked in JSON text: ${jsonText}`);
  });
}
