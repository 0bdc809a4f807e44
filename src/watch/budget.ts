// `watch` interval and send budget: how often it may send before the account's credits run out.

/** "30s", "2m", "1h", "1m30s" or plain seconds → milliseconds; undefined when not a duration ≥ 1 s. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) >= 1 ? Number(t) * 1000 : undefined;
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/gy;
  let ms = 0;
  let m: RegExpExecArray | null;
  let consumed = 0;
  while ((m = re.exec(t))) {
    ms += Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as "ms" | "s" | "m" | "h"];
    consumed = re.lastIndex;
  }
  return consumed === t.length && t.length > 0 && ms >= 1000 ? ms : undefined;
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ""}`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? `${Math.floor((s % 3600) / 60)}m` : ""}`;
}

export interface BudgetVerdict {
  ok: boolean;
  sendsPerHour: number;
  /** Why the interval is refused, with the ways out. */
  message?: string;
}

/**
 * Refuses an interval that would spend the account's remaining credits within the hour. Every
 * cycle sends one mail per probe whose sender has credits; unknown credits (the account endpoint failed) are no reason
 * to refuse, the runs themselves will say what is wrong.
 */
export function checkBudget(o: { everyMs: number; creditProbes: number; credits?: number; via: string }): BudgetVerdict {
  const sendsPerHour = o.creditProbes * Math.ceil(3_600_000 / o.everyMs);
  if (o.creditProbes === 0 || o.credits === undefined || sendsPerHour < o.credits) return { ok: true, sendsPerHour };
  return {
    ok: false,
    sendsPerHour,
    message:
      `--every ${formatDuration(o.everyMs)} sends ${sendsPerHour} mails an hour through ${o.via}, and the account has ${o.credits} credits left ` +
      `(the free plan allows about 300 a day; a CronJob every 20 minutes already spends 72 per probe). ` +
      `Use a longer --every (at least ${formatDuration((Math.floor(3600 / Math.max(1, Math.floor((o.credits - 1) / o.creditProbes))) + 1) * 1000)}), ` +
      `--via smtp with a watchSender in the probe's config, or --force.`,
  };
}
