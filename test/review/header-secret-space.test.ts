// README: "A secret sent as an HTTP header — Brevo's apiKey, the serve trigger's bearerToken — must be
// visible ASCII" (src/config/wire.ts headerSecretProblem). The check let a space through (it allowed
// U+0020, which is not visible ASCII), and an HTTP header value loses its leading and trailing
// whitespace on the way (fetch trims what it sends, Node's server what it receives): a token saved as
// "token " (an editor, `echo "token " > file`) loads fine, then serve's trigger answers 401 to the
// right token forever and Brevo refuses every send. Bad config must be a clear error naming the field.
// No network: config loading only.
import assert from "node:assert/strict";
import { test } from "node:test";
import { builtins, ConfigError, loadConfig } from "../../src/index.js";
import { labConfig } from "../helpers/cli.js";

builtins();

function refusal(mutate: (c: any) => void): ConfigError | undefined {
  try {
    loadConfig(labConfig(mutate));
    return undefined;
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
}

test("a bearer token ending in a space is refused at load, naming the field (never the value)", () => {
  const token = "trigger-token-0123456789abcdef ";
  const err = refusal((c) => {
    c.serve = { listen: "127.0.0.1", port: 0, trigger: { enabled: true, bearerToken: token } };
  });
  assert.ok(err, "the config loaded");
  const issue = err.issues.find((i) => i.field === "serve.trigger.bearerToken");
  assert.ok(issue, `no issue on serve.trigger.bearerToken: ${JSON.stringify(err.issues)}`);
  assert.ok(!issue.message.includes(token.trim()), "the message must not carry the secret");
});

test("a Brevo API key starting with a space is refused at load, naming the field", () => {
  const err = refusal((c) => {
    c.probes[0].sender.apiKey = " xkeysib-lab-0123456789abcdef-LABKEY";
  });
  assert.ok(err, "the config loaded");
  assert.ok(
    err.issues.some((i) => /sender\.apiKey$/.test(i.field)),
    JSON.stringify(err.issues),
  );
});
