// Structured logs (pino) on stderr: stdout is the summary or the JSON result. Secrets are removed by
// the logger itself (known key paths and every configured secret value), not by each call site.
import { pino, type Logger } from "pino";
import type { Redactor } from "./redact.js";

export type { Logger };

export function createLogger(opts: { level?: string; redact: Redactor; destination?: NodeJS.WritableStream | number }): Logger {
  const scrub = (v: unknown): unknown => (typeof v === "string" ? opts.redact(v) : v && typeof v === "object" ? JSON.parse(opts.redact(JSON.stringify(v))) : v);
  return pino(
    {
      name: "mailprobe",
      level: opts.level ?? "info",
      base: undefined,
      redact: { paths: ["*.password", "*.apiKey", "*.pushUrl", "*.bearerToken", "password", "apiKey", "pushUrl", "bearerToken"], censor: "[redacted]" },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map(scrub) as Parameters<typeof method>);
        },
      },
      formatters: { level: (label) => ({ level: label }) },
    },
    typeof opts.destination === "number" || opts.destination === undefined
      ? pino.destination({ fd: opts.destination ?? 2, sync: true })
      : (opts.destination as never),
  );
}
