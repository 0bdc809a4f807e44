// mailprobe's own fetch (src/net/http-fetch.ts) over a loopback server.
import assert from "node:assert/strict";
import { test } from "node:test";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { httpFetch } from "../../src/net/http-fetch.js";

test("a URL with credentials: they go as basic auth, and the answer's url (copied into the Brevo SDK's errors) carries none", async (t) => {
  const server = createServer((req, res) => res.end(req.headers.authorization ?? ""));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const { port } = server.address() as AddressInfo;
  const res = await httpFetch(`http://user:s3cret-pw@127.0.0.1:${port}/metrics/job/x?a=1`);
  assert.equal(await res.text(), `Basic ${Buffer.from("user:s3cret-pw").toString("base64")}`);
  assert.equal(res.url, `http://127.0.0.1:${port}/metrics/job/x?a=1`);
  assert.doesNotMatch(JSON.stringify({ url: res.url }), /s3cret/);
});
