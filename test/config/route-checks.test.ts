// The route checks (authResults, spam) on each sender block and the probe's relayCheck: defaults,
// the authserv-id default, and config errors that name the field and the fix (exit 2 at the CLI).
import assert from "node:assert/strict";
import { test } from "node:test";
import { ConfigError, resolveConfig } from "../../src/config/load.js";
import { builtins } from "../../src/builtins.js";

builtins();

const base = () => ({
  probes: [
    {
      name: "p",
      sender: { type: "brevo", apiKey: "xkeysib-0123456789", from: "probe@example.net", authResults: { require: ["dkim"] } },
      watchSender: { type: "smtp", host: "mx.example.com", port: 587, from: "probe@example.com" },
      to: "probe@example.com",
      imap: { user: "probe@example.com", password: "secret-pw" },
      paths: [{ name: "external", host: "mail.example.com" }],
      received: { mxHosts: ["*.example.com", "Mail.Example.com"], forbiddenCidrs: ["10.42.0.0/16"] },
      relayCheck: [{ name: "public-smtp", host: "mail.example.com", port: 25 }],
    },
  ],
});

const issues = (mutate: (p: any) => void) => {
  const cfg = base();
  mutate(cfg.probes[0]);
  try {
    resolveConfig(cfg, {});
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.field}: ${i.message}`);
    throw e;
  }
  return [];
};

test("defaults: authservId from the first non-wildcard mxHost, the watchSender route without requirements, relayCheck's defaults", () => {
  const p = resolveConfig(base(), {}).probes[0]!;
  assert.deepEqual(p.sender.authResults, { require: ["dkim"], authservId: "mail.example.com" });
  assert.equal(p.watchSender?.authResults, undefined, "the main route's requirements are not the watchSender's");
  assert.equal(p.received?.requireTls, false);
  assert.deepEqual(p.relayCheck[0], {
    name: "public-smtp",
    host: "mail.example.com",
    port: 25,
    security: "starttls",
    heloName: "mailprobe",
    rcptTo: "relay-test@example.invalid",
    from: "stranger",
    mailFrom: "probe@example.net",
    ca: undefined,
    timeoutMs: 10_000,
  });
});

test("config errors name the field: an unknown method, authResults without received, a duplicate relay entry, a bad maxScore", () => {
  assert.ok(issues((p) => (p.sender.authResults.require = ["arc"])).some((i) => i.startsWith("probes[0].sender.authResults.require[0]")));
  assert.deepEqual(
    issues((p) => delete p.received),
    ["probes[0].sender.authResults: needs received.mxHosts (the probe's or the route's: they locate the MX's header)"],
  );
  assert.deepEqual(
    issues((p) => (p.received.mxHosts = ["*.example.com"])),
    ["probes[0].sender.authResults.authservId: is required when every received.mxHosts entry is a wildcard"],
  );
  assert.ok(issues((p) => p.relayCheck.push({ ...p.relayCheck[0] })).includes('probes[0].relayCheck[1].name: duplicate entry name "public-smtp"'));
  assert.deepEqual(
    issues((p) => (p.relayCheck[0].name = "sender")),
    ["probes[0].relayCheck[0].name: is reserved for the SMTP sender's listener"],
  );
  assert.ok(issues((p) => (p.watchSender.spam = { maxScore: "high" })).some((i) => i.startsWith("probes[0].watchSender.spam.maxScore")));
});

test("a route with its own received.mxHosts takes its default authservId from them", () => {
  const cfg = base() as any;
  cfg.probes[0].watchSender.received = { mxHosts: ["Submit.Example.com"] };
  cfg.probes[0].watchSender.authResults = { require: ["spf"] };
  const p = resolveConfig(cfg, {}).probes[0]!;
  assert.deepEqual(p.watchSender?.authResults, { require: ["spf"], authservId: "submit.example.com" });
  assert.equal(p.sender.authResults?.authservId, "mail.example.com");
});
