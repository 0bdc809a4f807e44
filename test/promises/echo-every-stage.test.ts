// No secret in any output, at the CLI (issue 18): peers of ours echo the credential they were given
// at every stage — IMAP greeting, LOGIN and SELECT, SMTP AUTH and RCPT, Brevo, Pushgateway and Kuma
// 4xx/5xx — in one encoding each (raw, Basic, SASL PLAIN, XOAUTH2, URL, form, JSON, QP, base64, hex),
// through run (human and --json), serve's /probe and watch; an independent decoder searches every
// output for every secret. This slice runs every stage, encoding and command once; the whole matrix
// is test/long/echo-every-stage.test.ts (MAILPROBE_LONG=1).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { test } from "node:test";
import { cliPath } from "../helpers/cli.js";
import { printCells, runCells, slice } from "./echo-matrix.js";

test(
  "peers echoing credentials at every stage, in every encoding: no form of any secret in stdout, --json, logs, Kuma msg, Pushgateway body, /probe or watch lines",
  { timeout: 120_000 },
  async () => {
    assert.ok(existsSync(cliPath), "npm run build first");
    const rows = await runCells(slice(), 4);
    console.log(printCells(rows));
    assert.deepEqual(
      rows.filter((r) => r.echoed === 0).map((r) => `${r.stage}/${r.encoding}/${r.command}`),
      [],
      "every peer was reached at its stage and echoed",
    );
    assert.deepEqual(
      rows.filter((r) => r.leaks.length || r.broken.length).map((r) => `${r.stage}/${r.encoding}/${r.command}: ${[...r.leaks, ...r.broken].join("; ")}`),
      [],
    );
  },
);
