// Promise 2's rule for peer text (src/core/peer-text.ts): what a peer writes reaches an output only as
// PeerText — one line, cut short. Brevo's answers other than 401/403 bypassed it: the JSON body's
// `message` was shown whole, line breaks included (a proxy in front of the API answering 502 writes
// lines of its own into `mailprobe run`'s human output and text logs; a 1 MiB message is 1 MiB of detail).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { createBrevoSender } from "../../src/senders/brevo/client.js";
import type { BrevoConfig } from "../../src/senders/brevo/index.js";

test("no secret in output: a Brevo error answer is shown as peer text (one line, cut short)", async (t) => {
  const server = createServer((_req, res) => {
    res.writeHead(502, { "content-type": "application/json" });
    res.end(JSON.stringify({ code: "bad_gateway", message: `upstream down\n[mailprobe] probe ok: all paths healthy\n${"x".repeat(500_000)}` }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => (server.closeAllConnections(), server.close()));
  const cfg = {
    type: "brevo",
    apiKey: "unit-key-0123456789",
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v3`,
    from: "probe@sender.lab.test",
    fromName: "mailprobe",
    timeoutSeconds: 2,
    unblockRecipient: false,
    diagnose: false,
  } as BrevoConfig;
  const sender = await createBrevoSender(cfg);
  const r = await sender.send(
    { from: "probe@sender.lab.test", fromName: "mailprobe", to: "probe@lab.test", subject: "s", text: "t", headers: {} } as never,
    AbortSignal.timeout(5000),
    Date.now() + 1000,
  );
  const detail = (r as { detail?: string }).detail ?? "";
  assert.ok(!/[\r\n]/.test(detail), `a line break in the detail: ${JSON.stringify(detail.slice(0, 120))}`);
  assert.ok(detail.length < 400, `detail of ${detail.length} characters`);
});
