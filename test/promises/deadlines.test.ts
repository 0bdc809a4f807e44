// The deadline tree and the body caps at function level (issue 18 cases 4 and 5), against the
// hostile servers of ./hostile.ts: a SYN-dropping port, a 1 GB answer, an endless header line.
import assert from "node:assert/strict";
import { after, test } from "node:test";
import { checkRelay } from "../../src/net/smtp-relay.js";
import { BodyTooLargeError, httpFetch } from "../../src/net/http-fetch.js";
import { tidyGroups } from "../../src/sinks/pushgateway-tidy.js";
import { hostile, type Hostile } from "./hostile.js";

const servers: Hostile[] = [];
after(() => Promise.all(servers.map((s) => s.close())));
const serve = async (...a: Parameters<typeof hostile>) => {
  const s = await hostile(...a);
  servers.push(s);
  return s;
};

test("case 4: the relay check's pending connect to a SYN-dropping port ends with the caller's signal, not its own 60 s timeout", async () => {
  const h = await serve("smtp", "syn-drop");
  const t0 = Date.now();
  const r = await checkRelay(
    {
      name: "dropper",
      host: "127.0.0.1",
      port: h.port,
      security: "none",
      heloName: "mailprobe",
      mailFrom: "a@example.com",
      rcptTo: "b@example.invalid",
      timeoutMs: 60_000,
    },
    AbortSignal.timeout(500),
  );
  const ms = Date.now() - t0;
  assert.equal(r.state, "error");
  assert.ok(ms < 3000, `the check took ${ms} ms`);
});

test("case 5: a 1 GB answer is refused at the cap, without reading it; an endless header line fails at once", async () => {
  const huge = await serve("http", "huge");
  const rss0 = process.memoryUsage().rss;
  await assert.rejects(httpFetch(`http://127.0.0.1:${huge.port}/`, { signal: AbortSignal.timeout(10_000) }), BodyTooLargeError);
  assert.ok(process.memoryUsage().rss - rss0 < 64 * 1024 * 1024, "RSS grew by less than 64 MiB");
  const endless = await serve("http", "endless");
  const t0 = Date.now();
  await assert.rejects(httpFetch(`http://127.0.0.1:${endless.port}/`, { signal: AbortSignal.timeout(10_000) }));
  assert.ok(Date.now() - t0 < 5000);
});

test("case 5: a Pushgateway listing over the tidy's cap skips the clean-up and says so; nothing is deleted", async () => {
  const huge = await serve("http", "huge");
  const r = await tidyGroups({ url: `http://127.0.0.1:${huge.port}`, job: "mailprobe", deployment: "d", timeoutMs: 10_000 }, [], AbortSignal.timeout(10_000));
  assert.equal(r.length, 1);
  assert.equal(r[0]!.ok, false);
  assert.match(r[0]!.error!, /^listing larger than 8 MiB: clean-up skipped, nothing deleted$/);
});
