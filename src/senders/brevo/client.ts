// Brevo's transactional API through the official SDK. The SDK's blind retries are switched off
// (maxRetries 0): this module owns the policy: 429 waits for Brevo's reset when it fits the deadline,
// 5xx and network failures back off, 4xx is final.
import type { TransactionalEmailsClient } from "@getbrevo/brevo/transactionalEmails";
import { authAnswer, peerText } from "../../core/peer-text.js";
import { httpFetch } from "../../net/http-fetch.js";
import { sendCutOff, sleep } from "../../core/deadline.js";
import { createRateBudget } from "../../core/rate-budget.js";
import type { Diagnosis } from "../../core/reasons.js";
import type { OutgoingMessage, SendOutcome, Sender, SenderContext, UpstreamEvent } from "../../core/sender.js";
import type { BrevoConfig } from "./index.js";

/** Backoff between attempts after a 5xx or a network failure. */
export const BREVO_BACKOFF_MS = [500, 1500, 3000] as const;
/** The least time worth starting another attempt with. */
export const MIN_ATTEMPT_MS = 2000;
/**
 * When a waiting run reads Brevo's event log: first 10 s after the send (Brevo's relay has usually
 * tried by then), then every 15 s. Every read also takes a token of the process's event budget.
 */
export const BREVO_EVENT_POLL = { firstMs: 10_000, everyMs: 15_000 } as const;
/** The event log's share of Brevo's rate limit (a few hundred calls an hour), per process. */
export const BREVO_EVENT_BUDGET = { burst: 6, perHour: 240 } as const;

interface BrevoEvent {
  email?: string;
  event?: unknown;
  reason?: string;
  date?: string;
}

/** Events that end a message's journey upstream: it will not arrive. */
const FINAL: [Diagnosis, string[]][] = [
  ["upstream_bounced", ["hardBounces", "bounces", "invalid"]],
  ["upstream_blocked", ["blocked"]],
  ["upstream_error", ["error"]],
];
/** The rest, from the most to the least telling. */
const PROGRESS: [Diagnosis, string[]][] = [
  ["upstream_deferred", ["deferred", "softBounces"]],
  ["upstream_accepted_only", ["requests"]],
];

/** What a message's events say, most telling first: delivered, a final failure, progress. */
export function classifyEvents(all: BrevoEvent[], to: string): UpstreamEvent | undefined {
  // Addresses compare case-insensitively (Brevo may report the recipient as it was spelt elsewhere).
  const rcpt = to.toLowerCase();
  const events = all.filter((e) => !e.email || e.email.toLowerCase() === rcpt);
  const pick = (code: Diagnosis, names: string[], final: boolean): UpstreamEvent | undefined => {
    const e = events.find((x) => names.includes(String(x.event)));
    if (!e) return undefined;
    const atMs = e.date ? Date.parse(e.date) : NaN;
    return { code, detail: [e.event, e.reason, e.date].filter(Boolean).join(" · "), final, ...(Number.isFinite(atMs) ? { atMs } : {}) };
  };
  return (
    pick("delivered_not_seen", ["delivered"], false) ??
    FINAL.map(([c, n]) => pick(c, n, true)).find(Boolean) ??
    PROGRESS.map(([c, n]) => pick(c, n, false)).find(Boolean)
  );
}

interface BrevoErrorLike {
  name?: string;
  message?: string;
  statusCode?: number;
  body?: unknown;
  rawResponse?: { headers?: Headers };
}

function describe(err: BrevoErrorLike): string {
  // Every Brevo request carries the API key, so no answer's free text is shown (a proxy in front may
  // echo the key in any encoding): the status and Brevo's error code (a short enum word) say what failed.
  if (err.statusCode) {
    const code = (err.body as { code?: unknown } | undefined)?.code;
    return authAnswer(`Brevo${typeof code === "string" && /^[a-z_]{1,40}$/.test(code) ? ` (${code})` : ""}`, err.statusCode);
  }
  return `Brevo: ${peerText(err.message ?? String(err))}`;
}

/** Seconds until Brevo's rate limit resets (x-sib-ratelimit-reset), if it said. */
export function rateLimitResetSeconds(err: BrevoErrorLike): number | undefined {
  const v = err.rawResponse?.headers?.get?.("x-sib-ratelimit-reset");
  const n = v === null || v === undefined ? NaN : Number(v);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** The attempts of one send: retries while another attempt still has a useful slice of the deadline. */
async function sendAttempts(
  api: TransactionalEmailsClient,
  cfg: BrevoConfig,
  msg: OutgoingMessage,
  signal: AbortSignal,
  deadlineMs: number,
  notes: string[],
  started: number,
): Promise<SendOutcome> {
  let attempts = 0;
  let rateLimitRetried = false;
  for (;;) {
    attempts++;
    // Each attempt gets the configured timeout, or what is left of the deadline if less.
    const attemptSeconds = Math.max(0.5, Math.min(cfg.timeoutSeconds, (deadlineMs - Date.now()) / 1000));
    try {
      const res = await api.sendTransacEmail(
        {
          sender: { email: msg.from, name: msg.fromName },
          to: [{ email: msg.to }],
          subject: msg.subject,
          textContent: msg.text,
          headers: msg.headers,
          tags: ["mailprobe"],
        },
        { abortSignal: signal, maxRetries: 0, timeoutInSeconds: attemptSeconds },
      );
      return { ok: true, messageId: res.messageId, attempts, notes };
    } catch (err) {
      const e = err as BrevoErrorLike;
      if (signal.aborted) return { ...sendCutOff(signal, "Brevo", started), attempts, notes };
      const status = e.statusCode;
      const left = deadlineMs - Date.now();
      if (status === 429) {
        const reset = rateLimitResetSeconds(e);
        const waitMs = (reset ?? 1) * 1000;
        if (!rateLimitRetried && waitMs + MIN_ATTEMPT_MS < left) {
          rateLimitRetried = true;
          notes.push(`Brevo rate limit: waited ${waitMs / 1000} s for its reset`);
          await sleep(waitMs, signal);
          continue;
        }
        return {
          ok: false,
          reason: "send_rate_limited",
          detail: `${describe(e)} (reset in ${reset ?? "?"} s, does not fit the deadline)`,
          attempts,
          notes,
        };
      }
      if (status !== undefined && status >= 400 && status < 500 && status !== 408) {
        return { ok: false, reason: "send_rejected", detail: describe(e), attempts, notes };
      }
      // The SDK reports a timeout as BrevoTimeoutError or, from its fetcher, as a bare "timeout".
      const timedOut = (err as Error | undefined)?.name === "BrevoTimeoutError" || status === 408 || /\btime(d )?out\b/i.test(describe(e));
      const backoff = BREVO_BACKOFF_MS[attempts - 1];
      // Retry while another attempt still has a useful slice of the deadline.
      if (backoff !== undefined && backoff + MIN_ATTEMPT_MS < left) {
        notes.push(`attempt ${attempts}: ${describe(e)}; retrying in ${backoff} ms`);
        await sleep(backoff, signal);
        continue;
      }
      return { ok: false, reason: timedOut ? "send_timeout" : "send_failed", detail: describe(e), attempts, notes };
    }
  }
}

/** `unblockRecipient`: takes the recipient off Brevo's blocklist before sending (404: it was not on it). */
async function unblock(api: TransactionalEmailsClient, cfg: BrevoConfig, to: string, signal: AbortSignal): Promise<string[]> {
  if (!cfg.unblockRecipient) return [];
  try {
    await api.unblockOrResubscribeATransactionalContact({ email: to }, { abortSignal: signal, maxRetries: 0 });
    return [`recipient ${to} was on Brevo's blocklist (Brevo drops mail to it silently); removed it before sending`];
  } catch (err) {
    const e = err as BrevoErrorLike;
    if (e.statusCode === 404) return [];
    return [`could not check Brevo's blocklist: ${describe(e)}`];
  }
}

export async function createBrevoSender(cfg: BrevoConfig, ctx?: SenderContext): Promise<Sender> {
  // Without a process-wide context (a library caller), this sender keeps a budget of its own.
  const budget = ctx ? ctx.budget("brevo events", BREVO_EVENT_BUDGET) : createRateBudget(BREVO_EVENT_BUDGET);
  // Only the SDK's two clients mailprobe uses, loaded only when a probe uses Brevo: the whole SDK
  // (every resource's client) is the heaviest import there is (docs/benchmarks.md).
  const [{ TransactionalEmailsClient }, { AccountClient }] = await Promise.all([
    import("@getbrevo/brevo/transactionalEmails"),
    import("@getbrevo/brevo/account"),
  ]);
  const options = { apiKey: cfg.apiKey, baseUrl: cfg.baseUrl, timeoutInSeconds: cfg.timeoutSeconds, maxRetries: 0, fetch: httpFetch };
  const api = new TransactionalEmailsClient(options);
  const account = new AccountClient(options);

  return {
    prepare: (to, signal) => unblock(api, cfg, to, signal),

    async send(msg: OutgoingMessage, signal, deadlineMs): Promise<SendOutcome> {
      const started = Date.now();
      const notes: string[] = [];
      // A deadline that cuts a retry's wait is the sender's timeout too, not an internal error.
      return sendAttempts(api, cfg, msg, signal, deadlineMs, notes, started).catch((err: unknown) => {
        if (signal.aborted) return { ...sendCutOff(signal, "Brevo", started), attempts: 0, notes };
        throw err;
      });
    },

    async watchEvents(messageId, to, signal, onEvent) {
      if (!cfg.diagnose) return undefined;
      let waitMs: number = BREVO_EVENT_POLL.firstMs;
      try {
        for (;;) {
          await sleep(waitMs, signal);
          waitMs = BREVO_EVENT_POLL.everyMs;
          if (!budget.take()) continue;
          const res = await api.getEmailEventReport({ messageId, days: 2, limit: 50 }, { abortSignal: signal, maxRetries: 0 }).catch(() => undefined);
          const e = classifyEvents(res?.events ?? [], to);
          if (!e) continue;
          onEvent(e);
          if (e.final) return e;
          // Delivered: the rest is our MX's and the paths' business.
          if (e.code === "delivered_not_seen") return undefined;
        }
      } catch {
        // The signal ended the wait.
        return undefined;
      }
    },

    async diagnose(messageId, to, signal) {
      // The same budget as the wait's reads: a cleanup must not spend Brevo's rate limit behind its back.
      if (!budget.take()) return { code: "upstream_unknown", detail: "Brevo's event log not read: the process's event budget is spent (try again later)" };
      try {
        const res = await api.getEmailEventReport({ messageId, days: 2, limit: 50 }, { abortSignal: signal, maxRetries: 0 });
        const e = classifyEvents(res.events ?? [], to);
        return e ? { code: e.code, detail: e.detail } : { code: "upstream_unknown", detail: "Brevo has no events for the message yet" };
      } catch (err) {
        return { code: "upstream_unknown", detail: describe(err as BrevoErrorLike) };
      }
    },

    async verify(signal) {
      try {
        const acct = await account.getAccount({ abortSignal: signal, maxRetries: 0 });
        const plan = (acct.plan ?? []).find((p) => p.creditsType === "sendLimit") ?? acct.plan?.[0];
        return { ok: true, detail: `API key valid (account ${acct.email ?? "?"})`, credits: plan?.credits };
      } catch (err) {
        const e = err as BrevoErrorLike;
        const refused = e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500;
        return { ok: false, detail: describe(e), reason: refused ? "send_rejected" : "send_failed" };
      }
    },

    close() {},
  };
}
