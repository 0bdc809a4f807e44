// The IMAP session cap counts sessions per login and host (core/slots.ts slotKey), as the server's
// own limit does (Dovecot: mail_max_userip_connections, per user and client address). Host names are
// case-insensitive (DNS), and Dovecot's default auth_username_format is %Lu (the user lower-cased):
// "Probe@Lab.test" at "MX.lab.test" and "probe@lab.test" at "mx.lab.test" are one login on one server
// to it, but were two keys here, so two probes (or two paths of one probe, which the config check
// then let through) held twice the cap against one server's limit. No network.
import assert from "node:assert/strict";
import { test } from "node:test";
import { slotKey } from "../../src/core/slots.js";
import { sessionsWithinCap } from "../../src/config/rules.js";
import type { ConfigIssue } from "../../src/config/issues.js";
import type { ResolvedProbe } from "../../src/config/load.js";

test("a login and host differing only in case are one slot key", () => {
  assert.equal(slotKey({ user: "Probe@Lab.test", host: "MX.lab.test" }), slotKey({ user: "probe@lab.test", host: "mx.lab.test" }));
});

test("the config counts them as one login: two such paths are refused with imapSessionsPerUser: 1", () => {
  const probe = {
    name: "p",
    paths: [
      { name: "one", user: "probe@lab.test", host: "mx.lab.test" },
      { name: "two", user: "Probe@lab.test", host: "MX.lab.test" },
    ],
  } as unknown as ResolvedProbe;
  const issues: ConfigIssue[] = [];
  sessionsWithinCap(probe, 0, 1, issues);
  assert.equal(issues.length, 1);
  assert.equal(issues[0]!.field, "probes[0].paths[1]");
});
