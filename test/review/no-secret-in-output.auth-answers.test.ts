// Promise 2, the rule of src/core/peer-text.ts: "an answer to a request that carried credentials is
// not shown at all" — because no redactor knows every encoding a peer may echo a secret in. The rule
// holds for Kuma, Pushgateway and Brevo 401/403, but three credentialed answers were still shown in
// full, leaving only the redactor between the secret and the output:
//  - IMAP LOGIN/AUTHENTICATE's NO text (`login refused: <server text>`);
//  - SMTP AUTH's 535 reply (`SMTP: <server reply>`, every line joined);
//  - Brevo's answers other than 401/403 (every Brevo request carries the api-key header): a proxy in
//    front answering 400/502 with the request echoed.
// Each test echoes the secret split across two lines / with a separator — a form no redactor can
// match — and asserts that the secret's halves do not reach the output.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { makeRedactor } from "../../src/redact.js";
import { classifyImapError } from "../../src/receivers/imap.js";
import { classifySmtpError } from "../../src/senders/smtp/client.js";
import { createBrevoSender } from "../../src/senders/brevo/client.js";
import type { BrevoConfig } from "../../src/senders/brevo/index.js";

const secret = "Kx7pQ2vLm9ZtR4wB";
const [head, tail] = [secret.slice(0, 8), secret.slice(8)];
const leaks = (out: string) => out.includes(head) && out.includes(tail);

test("no secret in output: IMAP LOGIN's NO text is withheld (the server echoes the password split)", () => {
  // What imapflow rejects with when the server answers `A1 NO [AUTHENTICATIONFAILED] …`.
  const err = Object.assign(new Error("Command failed"), {
    authenticationFailed: true,
    serverResponseCode: "AUTHENTICATIONFAILED",
    responseText: `Invalid credentials for user probe (got '${head}' '${tail}')`,
  });
  const out = makeRedactor([secret])(classifyImapError(err, "connect", "p").message);
  assert.ok(!leaks(out), `leaked: ${out}`);
});

test("no secret in output: SMTP AUTH's 535 reply is withheld (a multi-line reply splits the password)", () => {
  // nodemailer's EAUTH error: `response` is the server's whole reply.
  const err = Object.assign(new Error("Invalid login: 535-5.7.8 bad password " + head), {
    code: "EAUTH",
    responseCode: 535,
    response: `535-5.7.8 bad password ${head}\r\n535 5.7.8 ${tail}`,
  });
  const out = makeRedactor([secret])(classifySmtpError(err).detail);
  assert.ok(!leaks(out), `leaked: ${out}`);
});

test("no secret in output: a Brevo 502 answer (every Brevo request carries the api-key) is withheld", async (t) => {
  const server = createServer((req, res) => {
    const key = String(req.headers["api-key"] ?? "");
    res.writeHead(502, { "content-type": "application/json" });
    res.end(JSON.stringify({ code: "bad_gateway", message: `upstream refused request with api-key ${key.slice(0, 8)}\n${key.slice(8)}` }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const cfg = {
    type: "brevo",
    apiKey: secret,
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
  const out = makeRedactor([secret])(JSON.stringify(r));
  assert.ok(!leaks(out), `leaked: ${out}`);
});
