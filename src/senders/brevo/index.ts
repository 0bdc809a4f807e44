// Brevo's transactional API as a sender module: its config block, secrets, doctor check and hints.
// The SDK client (./client.ts) is loaded only when a probe uses Brevo.
import * as z from "zod/mini";
import { email, httpUrl, seconds, secretPair } from "../../config/fields.js";
import { isClearTextRemote, urlCredentials } from "../../config/urls.js";
import type { SenderModule } from "../../core/sender.js";

export const BrevoSenderSchema = z.strictObject({
  type: z.literal("brevo"),
  ...secretPair("apiKey"),
  baseUrl: z._default(httpUrl, "https://api.brevo.com/v3"),
  from: email,
  fromName: z._default(z.string(), "mailprobe"),
  timeoutSeconds: seconds(10),
  /** Remove the recipient from Brevo's blocklist before sending (it drops mail to blocked ones). */
  unblockRecipient: z._default(z.boolean(), true),
  /** Ask Brevo's event log what happened when no path saw the message. */
  diagnose: z._default(z.boolean(), true),
});

export type BrevoConfig = z.infer<typeof BrevoSenderSchema> & { apiKey: string };

export const brevoSender: SenderModule<BrevoConfig> = {
  type: "brevo",
  displayName: "Brevo",
  schema: BrevoSenderSchema,
  secretFields: { apiKey: '"${BREVO_API_KEY}" or apiKeyFile: /run/secrets/brevo-api-key' },
  resolve(parsed, ctx) {
    const s = parsed as z.infer<typeof BrevoSenderSchema>;
    if (isClearTextRemote(s.baseUrl)) {
      const message = "is plain http:// to a host that is not loopback: the API key would travel in clear; use https://";
      ctx.issue("baseUrl", message, '"https://api.brevo.com/v3"');
    }
    // A password in the URL is a secret too (redacted like the key).
    for (const part of urlCredentials(s.baseUrl)) ctx.checkSecret(part, "baseUrl (the password in the URL)");
    // The key is the `api-key` header of every request: refused at load if a header cannot carry it.
    return { ...s, apiKey: ctx.secret("apiKey", true, "http-header") ?? "" };
  },
  secrets: (cfg) => [cfg.apiKey, ...urlCredentials(cfg.baseUrl)],
  create: async (cfg, ctx) => (await import("./client.js")).createBrevoSender(cfg, ctx),
  hasCredits: true,
  doctor: {
    check: "brevo api key",
    hints: {
      send_rejected: "Brevo refused the API key: check sender.apiKey(File) and that the key is active (Brevo → SMTP & API → API keys)",
      default: "Brevo's API did not answer as expected: check sender.baseUrl and egress to it (NetworkPolicy, proxy)",
    },
  },
};
