// Structured logs (pino) on stderr: stdout is the summary or the JSON result. Secrets are removed by
// the logger itself (known key paths and every configured secret value), not by each call site.
import { pino, type Logger } from "pino";
import { redactDeep, type Redactor } from "./redact.js";

export type { Logger };
export { envLogLevel, LOG_LEVELS } from "./log-levels.js";

/**
 * `redact` scrubs every argument before pino serialises it; `redactJson` (a redactor for JSON text)
 * scrubs each written line once more, as a fallback.
 */
export function createLogger(opts: { level?: string; redact: Redactor; redactJson?: Redactor; destination?: NodeJS.WritableStream | number }): Logger {
  const scrub = (v: unknown): unknown => redactDeep(v, opts.redact);
  const dest =
    typeof opts.destination === "number" || opts.destination === undefined
      ? pino.destination({ fd: opts.destination ?? 2, sync: true })
      : (opts.destination as NodeJS.WritableStream);
  const fallback = opts.redactJson;
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
    (fallback ? { write: (line: string) => dest.write(fallback(line)) } : dest) as never,
  );
}
