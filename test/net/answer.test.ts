// The light Response of mailprobe's fetch (src/net/answer.ts): what its readers rely on, as the Fetch
// API's Response and Headers behave.
import assert from "node:assert/strict";
import { test } from "node:test";
import { Answer, AnswerHeaders, requestHeaders } from "../../src/net/answer.js";

test("headers: names case-insensitive, a repeated header joined with ', ', iteration in lower case", () => {
  const h = new AnswerHeaders({ "Content-Type": "application/json", "set-cookie": ["a=1", "b=2"], "X-Sib-Ratelimit-Reset": "7", gone: undefined });
  assert.equal(h.get("content-type"), "application/json");
  assert.equal(h.get("x-sib-ratelimit-reset"), "7");
  assert.equal(h.get("SET-COOKIE"), "a=1, b=2");
  assert.equal(h.get("missing"), null);
  assert.ok(h.has("CONTENT-TYPE") && !h.has("gone"));
  assert.deepEqual(Object.fromEntries(h.entries()), { "content-type": "application/json", "set-cookie": "a=1, b=2", "x-sib-ratelimit-reset": "7" });
  assert.deepEqual([...h].length, 3);
  const seen: string[] = [];
  h.forEach((v, k) => seen.push(`${k}=${v}`));
  assert.deepEqual(seen, ["content-type=application/json", "set-cookie=a=1, b=2", "x-sib-ratelimit-reset=7"]);
  assert.deepEqual(Object.entries(h), [], "no own enumerable fields (a reader that spreads it sees nothing, never a value twice)");
});

test("answer: ok for 2xx only, the body read once (a second read rejects like Response's), json and bytes", async () => {
  for (const [status, ok] of [
    [200, true],
    [204, true],
    [299, true],
    [199, false],
    [302, false],
    [404, false],
    [500, false],
  ] as const)
    assert.equal(new Answer(status, "", new AnswerHeaders(), "http://x/", null).ok, ok, String(status));
  const a = new Answer(200, "OK", new AnswerHeaders(), "http://x/", Buffer.from('{"ok":true,"é":"ü"}'));
  assert.equal(a.bodyUsed, false);
  assert.deepEqual(await a.json(), { ok: true, é: "ü" });
  assert.equal(a.bodyUsed, true);
  await assert.rejects(a.text(), TypeError);
  const empty = new Answer(204, "No Content", new AnswerHeaders(), "http://x/", null);
  assert.equal(await empty.text(), "");
  const bytes = new Answer(200, "OK", new AnswerHeaders(), "http://x/", Buffer.from([1, 2, 255]));
  assert.deepEqual([...(await bytes.bytes())], [1, 2, 255]);
  const buf = new Answer(200, "OK", new AnswerHeaders(), "http://x/", Buffer.from("abc"));
  assert.equal(Buffer.from(await buf.arrayBuffer()).toString(), "abc");
  await assert.rejects(new Answer(200, "OK", new AnswerHeaders(), "http://x/", Buffer.from("not json")).json(), SyntaxError);
});

test("request headers from every form fetch accepts: a record, pairs, a Headers-like (forEach)", () => {
  assert.deepEqual(requestHeaders(undefined), {});
  assert.deepEqual(requestHeaders({ "API-Key": "k", Accept: "application/json", skip: undefined }), { "api-key": "k", accept: "application/json" });
  assert.deepEqual(requestHeaders([["Content-Type", "text/plain"]]), { "content-type": "text/plain" });
  const headersLike = { forEach: (fn: (v: string, k: string) => void) => (fn("1", "X-A"), fn("2", "x-b")) };
  assert.deepEqual(requestHeaders(headersLike), { "x-a": "1", "x-b": "2" });
});

test("request headers: a name given twice is sent once with both values joined, as fetch's Headers does", () => {
  const pairs: [string, string][] = [
    ["Accept", "text/plain"],
    ["accept", "application/json"],
  ];
  const joined = (h: unknown) => Object.fromEntries(new Headers(h as ConstructorParameters<typeof Headers>[0]));
  assert.deepEqual(requestHeaders(pairs), joined(pairs));
  const record = { "X-Tag": "a", "x-tag": "b" };
  assert.deepEqual(requestHeaders(record), joined(record));
});

test("a body that starts with a UTF-8 byte order mark: text() drops it and json() parses, as Response's do", async () => {
  const bom = () => Buffer.from('\uFEFF{"ok":true}');
  const answer = (b: Buffer) => new Answer(200, "OK", new AnswerHeaders({}), "http://127.0.0.1/", b);
  assert.deepEqual(await answer(bom()).json(), await new Response(bom()).json());
  assert.equal(await answer(bom()).text(), await new Response(bom()).text());
  assert.equal(await answer(Buffer.from("\uFEFF\uFEFFx")).text(), "\uFEFFx", "only the first mark goes");
});
