// Self-tests of the lab itself: no probe code, only real clients against the real stack.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { test } from "node:test";
import { brevo, addr, port, accounts } from "./topology.js";
import { waitForStored } from "./mx.js";
import { fakeBrevo, imapClient, smtpSend, uniqueToken, waitForHeaders, withLab } from "../helpers/lab.js";

/** The Received line Postfix wrote (`by mx.lab.test (Postfix)`), unfolded. */
function postfixReceived(headers: string): string {
  const unfolded = headers.replace(/\r?\n[ \t]+/g, " ");
  const line = unfolded.split(/\r?\n/).find((l) => /^Received:.*by mx\.lab\.test \(Postfix\)/i.test(l));
  assert.ok(line, `no Postfix Received header in:\n${headers}`);
  return line;
}

test("external path: Received names Brevo's relay address, carried by PROXY v2", async () => {
  const subject = uniqueToken();
  await smtpSend({ port: port.extSmtp, localAddress: addr.brevoRelay, subject });
  const received = postfixReceived(await waitForHeaders(subject));
  assert.match(received, /\[127\.0\.0\.42\]/);
});

test("PROXY broken: Received names the SNAT address", async () => {
  await withLab({ proxy: "broken" }, async () => {
    const subject = uniqueToken();
    await smtpSend({ port: port.extSmtp, localAddress: addr.brevoRelay, subject });
    // Unsigned, its SPF failing for the SNAT address under a p=reject DMARC policy: Rspamd may well junk it.
    const received = postfixReceived((await waitForStored(subject)).headers);
    assert.match(received, new RegExp(`\\[${addr.snat.replace(/\./g, "\\.")}\\]`));
  });
});

/** Connects without a PROXY header and returns what the server said before closing. */
function talkWithoutProxy(p: number, say: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: addr.listen, port: p });
    let got = "";
    s.setTimeout(15_000, () => {
      s.destroy();
      reject(new Error("server neither answered nor closed"));
    });
    s.on("connect", () => s.write(say));
    s.on("data", (d) => (got += d.toString("latin1")));
    s.on("close", () => resolve(got));
    s.on("error", () => resolve(got));
  });
}

test("alt SMTP listener refuses a client that sends no PROXY header", async () => {
  const said = await talkWithoutProxy(port.smtpAlt, "EHLO direct.example\r\n");
  assert.doesNotMatch(said, /^220 /m, "postscreen must not greet a client without PROXY");
});

test("alt IMAPS listener refuses a client that sends no PROXY header", async () => {
  const client = imapClient(port.imapsAlt);
  client.on("error", () => undefined);
  await assert.rejects(client.connect());
  client.close();
});

for (const [name, p] of [
  ["external (HAProxy → alt)", port.extImaps],
  ["internal (stock)", port.imapsStock],
] as const) {
  test(`IMAPS login works on the ${name} path`, async () => {
    const client = imapClient(p);
    await client.connect();
    const box = await client.mailboxOpen("INBOX");
    assert.ok(box.uidNext >= 1);
    await client.logout();
  });
}

test("IMAPS login with a wrong password is refused", async () => {
  const client = imapClient(port.imapsStock, { user: accounts.probe.user, password: "wrong" });
  client.on("error", () => undefined);
  await assert.rejects(client.connect(), (err: { authenticationFailed?: boolean; serverResponseCode?: string }) => {
    assert.equal(err.authenticationFailed, true);
    assert.equal(err.serverResponseCode, "AUTHENTICATIONFAILED");
    return true;
  });
  client.close();
});

test("a push to the Pushgateway is visible on its /metrics", async () => {
  const job = `labselftest_${uniqueToken().replace(/-/g, "_")}`;
  const base = `http://${addr.listen}:${port.pushgateway}/metrics/job/${job}`;
  const put = await fetch(base, { method: "PUT", body: "lab_selftest_value 42\n" });
  assert.equal(put.status, 200);
  const text = await (await fetch(`http://${addr.listen}:${port.pushgateway}/metrics`)).text();
  assert.match(text, new RegExp(`lab_selftest_value\\{.*job="${job}".*\\} 42`));
  await fetch(base, { method: "DELETE" });
});

test("fake Brevo: 401 without a valid key, 201 with one, and the mail arrives with its custom header", async () => {
  const body = (subject: string) =>
    JSON.stringify({
      sender: { email: brevo.sender },
      to: [{ email: accounts.alias }],
      subject,
      textContent: "hello",
      headers: { "X-Lab-Check": "kept" },
    });
  const bad = await fakeBrevo("/v3/smtp/email", { method: "POST", headers: { "api-key": "nope", "content-type": "application/json" }, body: body("x") });
  assert.equal(bad.status, 401);
  assert.deepEqual(await bad.json(), { code: "unauthorized", message: "Key not found" });

  const subject = uniqueToken();
  const ok = await fakeBrevo("/v3/smtp/email", {
    method: "POST",
    headers: { "api-key": brevo.apiKey, "content-type": "application/json" },
    body: body(subject),
  });
  assert.equal(ok.status, 201);
  const { messageId } = (await ok.json()) as { messageId: string };
  assert.match(messageId, /^<[^>]+@[^>]+>$/);
  const headers = await waitForHeaders(subject);
  assert.match(headers, /X-Lab-Check: kept/);
  assert.match(postfixReceived(headers), /\[127\.0\.0\.42\]/);
  const events = (await (
    await fakeBrevo(`/v3/smtp/statistics/events?messageId=${encodeURIComponent(messageId)}`, { headers: { "api-key": brevo.apiKey } })
  ).json()) as { events: { event: string }[] };
  assert.deepEqual(events.events.map((e) => e.event).sort(), ["delivered", "requests"]);
});

test("fake Brevo: 429 carries Brevo's rate-limit headers", async () => {
  await fakeBrevo("/__lab/fault", { method: "POST", body: JSON.stringify({ mode: "429", resetSeconds: 7, times: 1 }) });
  try {
    const res = await fakeBrevo("/v3/smtp/email", { method: "POST", headers: { "api-key": brevo.apiKey }, body: "{}" });
    assert.equal(res.status, 429);
    assert.equal(res.headers.get("x-sib-ratelimit-reset"), "7");
    assert.equal(res.headers.get("x-sib-ratelimit-remaining"), "0");
  } finally {
    await fakeBrevo("/__lab/fault", { method: "POST", body: JSON.stringify({ mode: "none" }) });
  }
});

test("fake Brevo: hardBounce, blocked and invalid faults accept the send, then log the event only after delayMs", async () => {
  const events = async (messageId: string) =>
    (
      (await (await fakeBrevo(`/v3/smtp/statistics/events?messageId=${encodeURIComponent(messageId)}`, { headers: { "api-key": brevo.apiKey } })).json()) as {
        events?: { event: string; email: string; reason?: string; date: string; messageId: string }[];
      }
    ).events ?? [];
  const rcpt = "bounce-check@lab.test";
  try {
    for (const mode of ["hardBounce", "blocked", "invalid"] as const) {
      await fakeBrevo("/__lab/fault", { method: "POST", body: JSON.stringify({ mode, delayMs: 600 }) });
      const res = await fakeBrevo("/v3/smtp/email", {
        method: "POST",
        headers: { "api-key": brevo.apiKey, "content-type": "application/json" },
        body: JSON.stringify({ sender: { email: brevo.sender }, to: [{ email: rcpt }], subject: uniqueToken(), textContent: "x" }),
      });
      assert.equal(res.status, 201);
      const { messageId } = (await res.json()) as { messageId: string };
      assert.deepEqual(
        (await events(messageId)).map((e) => e.event),
        ["requests"],
        `${mode}: nothing but the request before delayMs`,
      );
      await new Promise((r) => setTimeout(r, 900));
      const after = await events(messageId);
      const want = { hardBounce: "hardBounces", blocked: "blocked", invalid: "invalid" }[mode];
      assert.deepEqual(
        after.map((e) => e.event),
        [want, "requests"],
        `${mode}: newest first, as Brevo lists them`,
      );
      assert.equal(after[0]!.email, rcpt);
      assert.equal(after[0]!.messageId, messageId);
      assert.ok(after[0]!.reason && !Number.isNaN(Date.parse(after[0]!.date)));
    }
    // Like Brevo, a hard bounce blocklists the recipient.
    const list = (await (await fakeBrevo("/v3/smtp/blockedContacts", { headers: { "api-key": brevo.apiKey } })).json()) as { contacts: { email: string }[] };
    assert.ok(list.contacts.some((c) => c.email === rcpt));
  } finally {
    await fakeBrevo("/__lab/fault", { method: "POST", body: JSON.stringify({ mode: "none" }) });
    await fakeBrevo(`/v3/smtp/blockedContacts/${encodeURIComponent(rcpt)}`, { method: "DELETE", headers: { "api-key": brevo.apiKey } });
  }
});
