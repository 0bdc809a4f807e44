// Doctor's pure parts (src/doctor/checks.ts, hints.ts): the group deadline and its internal override,
// the token-key check, the hints keyed by reason code. The checks against servers: test/e2e/doctor.test.ts.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { ResolvedPath, ResolvedProbe } from "../../src/config/load.js";
import { checkTokenKey, DOCTOR_CHECK_MS, doctorCheckMs } from "../../src/doctor/checks.js";
import { hintFor } from "../../src/doctor/hints.js";

test("the group deadline is 30 s; MAILPROBE_DOCTOR_CHECK_MS (internal, for tests) shortens it, anything unusable is ignored", () => {
  assert.equal(DOCTOR_CHECK_MS, 30_000);
  assert.equal(doctorCheckMs({}), 30_000);
  assert.equal(doctorCheckMs({ MAILPROBE_DOCTOR_CHECK_MS: "5000" }), 5000);
  for (const bad of ["", "0", "-5", "1.5", "5s", "abc"]) assert.equal(doctorCheckMs({ MAILPROBE_DOCTOR_CHECK_MS: bad }), 30_000, bad);
});

test("token key: ok when every probe has one, else a warning with how to add one (never a failure)", () => {
  const withKey = { tokenKey: "k".repeat(32) } as ResolvedProbe;
  const without = {} as ResolvedProbe;
  assert.equal(checkTokenKey([withKey]).status, "ok");
  const w = checkTokenKey([withKey, without]);
  assert.equal(w.status, "warn");
  assert.match(w.detail, /^no_token_key: /);
  assert.ok(w.hint);
});

test("hints are keyed by the reason code, with the path's own names; other codes get the fallback", () => {
  const path = { user: "probe@lab.test", mailbox: "INBOX.Probe" } as ResolvedPath;
  assert.match(hintFor("imap_auth", path, "x"), /refused probe@lab\.test/);
  assert.match(hintFor("imap_mailbox", path, "x"), /mailbox "INBOX\.Probe"/);
  assert.equal(hintFor("imap_connect", path, "fallback"), "fallback");
  assert.equal(hintFor(undefined, path, "fallback"), "fallback");
});
