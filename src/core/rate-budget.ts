// A token bucket: how many calls a rate-limited upstream (Brevo's event log: a few hundred an hour)
// may still take. One per process, shared by every probe and cycle (serve, watch), handed to the
// senders through their factory; never module-level state.

export interface RateBudgetOptions {
  /** Calls that may go out at once after a quiet spell. */
  burst: number;
  /** Calls per hour in the long run. */
  perHour: number;
  /** The clock (default Date.now). */
  now?: () => number;
}

export interface RateBudget {
  /** Takes one call's token; false when the budget is spent (skip the call, try again later). */
  take(): boolean;
}

export function createRateBudget({ burst, perHour, now = Date.now }: RateBudgetOptions): RateBudget {
  const refillMs = 3_600_000 / perHour;
  let tokens = burst;
  let lastMs = now();
  return {
    take() {
      const t = now();
      tokens = Math.min(burst, tokens + (t - lastMs) / refillMs);
      lastMs = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

/** Budgets by name, one each per process: what senders share across runs (SenderContext). */
export function createBudgets(): (name: string, opts: RateBudgetOptions) => RateBudget {
  const budgets = new Map<string, RateBudget>();
  return (name, opts) => {
    let b = budgets.get(name);
    if (!b) budgets.set(name, (b = createRateBudget(opts)));
    return b;
  };
}
