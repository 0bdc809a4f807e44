// SMTP submission as a sender module: its config block, secrets, doctor check and hints. nodemailer
// (./client.ts) is loaded only when a probe uses SMTP.
import * as z from "zod/mini";
import { email, ProxyProtocolSchema, seconds, secretPair, smtpEndpointFields } from "../../config/fields.js";
import type { SenderModule } from "../../core/sender.js";

export const SmtpSenderSchema = z.strictObject({
  type: z.literal("smtp"),
  ...smtpEndpointFields,
  heloName: z._default(z.string(), "mailprobe"),
  user: z.optional(z.string()),
  ...secretPair("password"),
  from: email,
  timeoutSeconds: seconds(10),
  proxyProtocol: z.optional(ProxyProtocolSchema),
});

export type SmtpConfig = z.infer<typeof SmtpSenderSchema> & { ca?: string };

export const smtpSender: SenderModule<SmtpConfig> = {
  type: "smtp",
  displayName: "SMTP",
  schema: SmtpSenderSchema,
  secretFields: { password: '"${IMAP_PASSWORD}" or passwordFile: /run/secrets/imap-password' },
  resolve(parsed, ctx) {
    const s = parsed as z.infer<typeof SmtpSenderSchema>;
    if (s.security === "none" && (s.user !== undefined || s.password !== undefined || s.passwordFile !== undefined)) {
      const message = "is none but user/password are set: the password would travel in clear; use security: starttls (port 587) or tls (port 465)";
      ctx.issue("security", message, '"starttls"');
    }
    const password = ctx.secret("password", s.user !== undefined);
    if (password !== undefined && s.user === undefined) ctx.issue("user", "is required when a password is given");
    return { ...s, password, ca: ctx.readFile(s.caFile, "caFile") };
  },
  secrets: (cfg) => [cfg.password],
  create: async (cfg) => (await import("./client.js")).createSmtpSender(cfg),
  certTarget: (cfg) =>
    cfg.security === "none"
      ? undefined
      : {
          host: cfg.host,
          port: cfg.port,
          security: cfg.security,
          servername: cfg.servername,
          ca: cfg.ca,
          localAddress: cfg.localAddress,
          proxyProtocol: cfg.proxyProtocol,
          heloName: cfg.heloName,
          mailFrom: cfg.from,
          timeoutMs: cfg.timeoutSeconds * 1000,
        },
  doctor: {
    check: "smtp connect+auth",
    hints: {
      send_rejected: "the SMTP server refused the login: check sender.user and password(File)",
      default: "cannot talk to the SMTP server: check host, port, security and caFile",
    },
  },
};
