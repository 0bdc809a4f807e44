// Brevo's event log: matching the recipient (pure), and diagnose() taking its call from the process's
// shared event budget. The diagnose test stages Brevo's events endpoint with a small loopback HTTP
// server of ours that only counts the calls (the wire contract is the lab fake's job in test/e2e).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { createRateBudget } from "../../src/core/rate-budget.js";
import { classifyEvents, createBrevoSender } from "../../src/senders/brevo/client.js";
import type { BrevoConfig } from "../../src/senders/brevo/index.js";

test("events for the recipient match case-insensitively (Brevo may spell the address otherwise)", () => {
  const e = classifyEvents([{ email: "Probe@Lab.TEST", event: "hardBounces", reason: "550 no such user" }], "probe@lab.test");
  assert.equal(e?.code, "upstream_bounced");
  assert.equal(
    classifyEvents([{ email: "other@lab.test", event: "hardBounces" }], "probe@lab.test"),
    undefined,
    "another recipient's events still do not count",
  );
});

test("diagnose() takes a token of the shared event budget; when it is spent, it says so and calls nothing", async (t) => {
  let calls = 0;
  const server = createServer((req, res) => {
    calls++;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ events: [{ email: "probe@lab.test", event: "requests" }] }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => server.close());
  const cfg = {
    type: "brevo",
    apiKey: "unit-key",
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3`,
    from: "probe@sender.lab.test",
    fromName: "mailprobe",
    timeoutSeconds: 5,
    unblockRecipient: false,
    diagnose: true,
  } as BrevoConfig;
  // One budget for the process, of one call: the first diagnose takes it, the second finds it spent.
  const budget = createRateBudget({ burst: 1, perHour: 1 });
  const sender = await createBrevoSender(cfg, { budget: () => budget });
  const first = await sender.diagnose!("<m@x>", "probe@lab.test", AbortSignal.timeout(5000));
  assert.equal(first.code, "upstream_accepted_only");
  assert.equal(calls, 1);
  const second = await sender.diagnose!("<m@x>", "probe@lab.test", AbortSignal.timeout(5000));
  assert.equal(calls, 1, "no call past the budget");
  assert.equal(second.code, "upstream_unknown");
  assert.match(second.detail ?? "", /budget is spent/);
});
