// The relay check's verdict from the server's replies. The misbehaving MX is staged with a small
// loopback SMTP server of ours (plain TCP on 127.0.0.1, no TLS) that answers MAIL and RCPT with the
// reply each case needs; it records the commands so that the test can see DATA is never sent.
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { test } from "node:test";
import { checkRelay, readCertificate } from "../../src/net/smtp-relay.js";

async function stagedMx(replies: { mail: string; rcpt: string }) {
  const seen: string[] = [];
  const server = createServer((s) => {
    s.write("220 staged.test ESMTP\r\n");
    let buf = "";
    s.on("data", (d) => {
      buf += d.toString("latin1");
      let i: number;
      while ((i = buf.indexOf("\r\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        seen.push(line.split(/[ :]/)[0]!.toUpperCase());
        if (/^EHLO/i.test(line)) s.write("250-staged.test\r\n250 PIPELINING\r\n");
        else if (/^MAIL/i.test(line)) s.write(`${replies.mail}\r\n`);
        else if (/^RCPT/i.test(line)) s.write(`${replies.rcpt}\r\n`);
        else if (/^QUIT/i.test(line)) s.end("221 bye\r\n");
        else s.write("502 not here\r\n");
      }
    });
    s.on("error", () => undefined);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as AddressInfo).port, seen, close: () => server.close() };
}

async function verdict(replies: { mail: string; rcpt: string }) {
  const mx = await stagedMx(replies);
  try {
    const r = await checkRelay(
      {
        name: "staged",
        host: "127.0.0.1",
        port: mx.port,
        security: "none",
        heloName: "probe.test",
        mailFrom: "probe@lab.test",
        rcptTo: "x@example.invalid",
        timeoutMs: 5000,
      },
      new AbortController().signal,
    );
    assert.ok(!mx.seen.includes("DATA"), "DATA is never sent");
    return r;
  } finally {
    mx.close();
  }
}

test("5xx at RCPT is a refusal (healthy)", async () => {
  const r = await verdict({ mail: "250 2.1.0 Ok", rcpt: "554 5.7.1 <x@example.invalid>: Relay access denied" });
  assert.equal(r.state, "refused");
  assert.match(r.detail, /^554 5\.7\.1/);
});

test("2xx at RCPT is an open relay", async () => {
  const r = await verdict({ mail: "250 2.1.0 Ok", rcpt: "250 2.1.5 Ok" });
  assert.equal(r.state, "open");
});

test("a 4xx at RCPT (greylisting, postscreen's 450) is inconclusive, not refused", async () => {
  const r = await verdict({ mail: "250 2.1.0 Ok", rcpt: "450 4.7.1 Client host rejected: greylisted, try again later" });
  assert.equal(r.state, "inconclusive");
  assert.match(r.detail, /^RCPT deferred \(450\).*greylisted/);
});

test("a refused MAIL FROM is inconclusive: the RCPT to the foreign domain was never tried", async () => {
  const r = await verdict({ mail: "553 5.7.1 sender rejected", rcpt: "250 never asked" });
  assert.equal(r.state, "inconclusive");
  assert.match(r.detail, /^MAIL FROM refused, RCPT never tried: 553 5\.7\.1 sender rejected/);
});

test("readCertificate sends no MAIL; a listener that offers no STARTTLS is an error named so, not a refusal", async () => {
  const mx = await stagedMx({ mail: "250 ok", rcpt: "250 ok" });
  try {
    const target = {
      name: "sender",
      host: "127.0.0.1",
      port: mx.port,
      security: "starttls" as const,
      heloName: "probe.test",
      mailFrom: "probe@lab.test",
      timeoutMs: 5000,
    };
    const r = await readCertificate(target, new AbortController().signal);
    assert.deepEqual(r, { error: "STARTTLS not offered (security: starttls): 250-staged.test 250 PIPELINING" });
    assert.deepEqual(mx.seen, ["EHLO"]);
  } finally {
    mx.close();
  }
});
