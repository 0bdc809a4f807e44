// configSchema() is built from the sender registry when called: a sender registered later is in
// the next schema, and the schema converts to JSON Schema with the IMAP defaults in it.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as z from "zod";
import { builtins, configSchema, registerSender, senderModules } from "../../src/index.js";

builtins();

const types = (s: any) => s.properties.probes.items.properties.sender.oneOf.map((o: any) => o.properties.type.const);

test("the sender union follows the registry; JSON Schema carries the built-ins and the defaults", () => {
  const before = z.toJSONSchema(configSchema(), { io: "input" }) as any;
  assert.deepEqual(types(before), ["brevo", "smtp"]);
  assert.equal(before.properties.probes.items.properties.imap.properties.port.default, 993);
  const unregister = registerSender({ ...senderModules()[1]!, type: "late", schema: z.object({ type: z.literal("late"), from: z.string() }).strict() });
  assert.deepEqual(types(z.toJSONSchema(configSchema(), { io: "input" })), ["brevo", "smtp", "late"]);
  unregister();
  assert.deepEqual(types(z.toJSONSchema(configSchema(), { io: "input" })), ["brevo", "smtp"], "a test that registers a sender removes it again");
});
