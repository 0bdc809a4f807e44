// Self-test of the lab's real Uptime Kuma (no probe code): what its push endpoint answers and what it
// records, read back from its heartbeat table — the contract the Kuma sink is tested against.
import assert from "node:assert/strict";
import { test } from "node:test";
import { readFileSync } from "node:fs";
import { allBeatsAfter, kumaBeats, kumaFiles, kumaPushUrl, kumaSession, lastBeatId } from "./kuma.js";
import { kuma } from "./topology.js";

const NOT_FOUND = { ok: false, msg: "Monitor not found or not active." };

async function push(token: string, query: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${kumaPushUrl(token)}?${query}`, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* Kuma answers HTML for routes it does not have */
  }
  return { status: res.status, body };
}

test("real Uptime Kuma: up, down with its msg, ping kept as whole milliseconds (parseInt), a missing msg recorded as OK", async () => {
  const mark = lastBeatId();
  const [token] = kuma.tokens;
  assert.deepEqual(await push(token, "status=up&msg=OK&ping=12"), { status: 200, body: { ok: true } });
  assert.deepEqual(await push(token, `status=down&msg=${encodeURIComponent("external: real_ip_forbidden 127.0.0.9")}&ping=45.7`), {
    status: 200,
    body: { ok: true },
  });
  assert.deepEqual(await push(token, "status=up"), { status: 200, body: { ok: true } });
  // Anything but `up` counts as down.
  assert.deepEqual(await push(token, "status=sideways&msg=x&ping=1"), { status: 200, body: { ok: true } });
  assert.deepEqual(
    kumaBeats(token, mark).map((b) => [b.status, b.msg, b.ping]),
    [
      [1, "OK", 12],
      [0, "external: real_ip_forbidden 127.0.0.9", 45],
      [1, "OK", null],
      [0, "x", 1],
    ],
  );
});

test("real Uptime Kuma: an unknown token and a paused monitor answer 404 and record nothing; resumed, the monitor records again", async () => {
  const mark = lastBeatId();
  assert.deepEqual(await push("UnknownTok3n", "status=up&msg=OK&ping=1"), { status: 404, body: NOT_FOUND });
  assert.deepEqual(await push(kuma.pausedToken, "status=up&msg=OK&ping=1"), { status: 404, body: NOT_FOUND });
  assert.deepEqual(allBeatsAfter(mark), [], "no beat for an unknown token or a paused monitor");

  const session = await kumaSession();
  try {
    await session.resume(kuma.pausedToken);
    assert.deepEqual(await push(kuma.pausedToken, "status=up&msg=resumed&ping=3"), { status: 200, body: { ok: true } });
    assert.deepEqual(
      kumaBeats(kuma.pausedToken, mark).map((b) => [b.status, b.msg, b.ping]),
      [[1, "resumed", 3]],
    );
  } finally {
    await session.pause(kuma.pausedToken);
    session.close();
  }
  assert.deepEqual(await push(kuma.pausedToken, "status=up"), { status: 404, body: NOT_FOUND }, "paused again");
});

test("real Uptime Kuma: only GET is routed (a POST push is a 404 page), and it never tried its update check", async () => {
  const mark = lastBeatId();
  const post = await push(kuma.tokens[0], "status=up&msg=OK&ping=1", { method: "POST" });
  assert.equal(post.status, 404);
  assert.deepEqual(allBeatsAfter(mark), []);
  // Offline, an attempted check logs "Failed to check for new versions" (seen without the seeded
  // checkUpdate=false); the egress test counts Kuma's packets as well.
  const log = readFileSync(kumaFiles.log, "utf8");
  assert.match(log, /Listening on /);
  assert.doesNotMatch(log, /UPDATE-CHECKER/i);
});
