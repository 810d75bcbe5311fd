import { describe, expect, it } from 'vitest';
import {
  appLimitOf,
  dailyBudgetOf,
  planFromBurstLimit,
} from '../../server/api/pipedrive-budget.ts';
import { retryAfterMs } from '../../server/constant-contact/http.ts';

describe('Pipedrive daily budget', () => {
  it('reads the plan off the OAuth burst limit (reference 9.3)', () => {
    expect(planFromBurstLimit(80)).toBe('lite');
    expect(planFromBurstLimit(160)).toBe('growth');
    expect(planFromBurstLimit(400)).toBe('premium');
    expect(planFromBurstLimit(480)).toBe('ultimate');
    expect(planFromBurstLimit(37)).toBeUndefined();
    expect(planFromBurstLimit(null)).toBeUndefined();
  });

  it('prefers a known budget, then the plan with one seat, then Lite with one seat', () => {
    expect(dailyBudgetOf({ daily_budget: 150_000, burst_limit: 80 })).toBe(150_000);
    expect(dailyBudgetOf({ daily_budget: null, burst_limit: 400 })).toBe(150_000);
    expect(dailyBudgetOf({ daily_budget: null, burst_limit: null })).toBe(30_000);
  });

  it('spends only the configured share', () => {
    expect(appLimitOf(30_000, 0.5)).toBe(15_000);
    expect(appLimitOf(99, 0.5)).toBe(49);
  });
});

describe('Retry-After', () => {
  it('takes seconds or an HTTP date', () => {
    const now = Date.UTC(2026, 10, 26, 10, 0, 0);
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs(new Date(now + 5_000).toUTCString(), now)).toBe(5_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });
});
