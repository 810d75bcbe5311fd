/**
 * Rate limits as Pipedrive documents them (reference 9.1–9.5): a rolling 2-second burst window
 * per token (plan-dependent, separate and lower for search), and a per-company daily token
 * budget charged with each operation's `x-token-cost`, reset at midnight UTC (the docs say
 * "server time"; UTC is the fake's choice).
 */
import { PIPEDRIVE_RATE_LIMITS, type PipedrivePlan } from '../../../server/pipedrive/provider.ts';
import type { FakeClock } from '../shared/clock.ts';
import type { RateLimitConfig } from './options.ts';

export interface RateDecision {
  ok: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the burst window frees a slot. */
  resetSeconds: number;
  reason?: 'burst' | 'search' | 'daily';
}

export class RateLimiter {
  private windows = new Map<string, number[]>();
  private daily = new Map<number, { day: number; used: number }>();

  constructor(
    private readonly clock: FakeClock,
    public config: RateLimitConfig,
  ) {}

  reset(): void {
    this.windows.clear();
    this.daily.clear();
  }

  dailyBudget(plan: PipedrivePlan, seats: number): number {
    return (
      this.config.dailyBudget ??
      PIPEDRIVE_RATE_LIMITS.dailyTokenBase * PIPEDRIVE_RATE_LIMITS.planMultiplier[plan] * seats
    );
  }

  /** Tokens a company has used today. */
  used(companyId: number): number {
    const d = this.daily.get(companyId);
    return d && d.day === this.today() ? d.used : 0;
  }

  private today(): number {
    return Math.floor(this.clock.now() / 86_400_000);
  }

  /** Checks and, when allowed, records one call. */
  take(input: {
    tokenKey: string;
    oauth: boolean;
    search: boolean;
    companyId: number;
    plan: PipedrivePlan;
    seats: number;
    cost: number;
  }): RateDecision {
    const now = this.clock.now();
    const windowMs = this.config.windowMs;
    const planLimit =
      PIPEDRIVE_RATE_LIMITS.burstPerWindow[input.oauth ? 'oauth' : 'apiToken'][input.plan];
    const burst = this.config.burstPerWindow ?? planLimit;
    const checks: Array<{ key: string; limit: number; reason: 'burst' | 'search' }> = [
      { key: `b:${input.tokenKey}`, limit: burst, reason: 'burst' },
    ];
    if (input.search)
      checks.push({
        key: `s:${input.tokenKey}`,
        limit: this.config.searchPerWindow,
        reason: 'search',
      });
    let reported: RateDecision | null = null;
    for (const check of checks) {
      const hits = (this.windows.get(check.key) ?? []).filter((t) => t > now - windowMs);
      this.windows.set(check.key, hits);
      const oldest = hits[0];
      const resetSeconds =
        oldest === undefined
          ? PIPEDRIVE_RATE_LIMITS.burstWindowSeconds
          : Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
      if (hits.length >= check.limit) {
        return { ok: false, limit: check.limit, remaining: 0, resetSeconds, reason: check.reason };
      }
      if (!reported || check.reason === 'search') {
        reported = {
          ok: true,
          limit: check.limit,
          remaining: check.limit - hits.length - 1,
          resetSeconds,
        };
      }
    }
    const day = this.today();
    const d = this.daily.get(input.companyId);
    const used = d && d.day === day ? d.used : 0;
    if (used + input.cost > this.dailyBudget(input.plan, input.seats)) {
      return {
        ok: false,
        limit: burst,
        remaining: 0,
        resetSeconds: reported?.resetSeconds ?? 2,
        reason: 'daily',
      };
    }
    this.daily.set(input.companyId, { day, used: used + input.cost });
    for (const check of checks) this.windows.get(check.key)?.push(now);
    return reported ?? { ok: true, limit: burst, remaining: burst - 1, resetSeconds: 2 };
  }
}
