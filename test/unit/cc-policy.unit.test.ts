import { describe, expect, it } from 'vitest';
import {
  type CcPriority,
  chooseWaiter,
  DEFAULT_PRIORITY_SHARES,
  nextSlotAt,
  type Waiter,
  withinDailyShare,
} from '../../server/api/cc-policy.ts';

describe('nextSlotAt (rolling window)', () => {
  it('grants at once while the window has room', () => {
    expect(nextSlotAt([], 10_000, 4, 1_100)).toBe(10_000);
    expect(nextSlotAt([9_000, 9_500, 9_900], 10_000, 4, 1_100)).toBe(10_000);
  });

  it('waits until the 4th latest grant leaves the window', () => {
    expect(nextSlotAt([9_000, 9_200, 9_500, 9_900], 10_000, 4, 1_100)).toBe(10_100);
    expect(nextSlotAt([8_000, 9_200, 9_500, 9_900, 9_950], 10_000, 4, 1_100)).toBe(10_300);
  });

  it('ignores grants older than the window', () => {
    expect(nextSlotAt([1_000, 2_000, 3_000, 4_000], 10_000, 4, 1_100)).toBe(10_000);
  });

  it('never lets more than perWindow grants into any window when followed greedily', () => {
    const grants: number[] = [];
    let now = 0;
    while (grants.length < 40) {
      const at = nextSlotAt(grants, now, 4, 1_000);
      if (at <= now) grants.push(now);
      now = Math.max(now + 7, at);
    }
    for (const start of grants) {
      expect(grants.filter((t) => t >= start && t < start + 1_000).length).toBeLessThanOrEqual(4);
    }
  });
});

describe('withinDailyShare', () => {
  const perDay = 10_000;
  const check = (priority: CcPriority, usedTotal: number, usedByPriority: number) =>
    withinDailyShare({ priority, usedTotal, usedByPriority, perDay });

  it('keeps the documented headroom for interactive and continuous', () => {
    expect(check('engagement', 1_000, 1_499)).toBe(true);
    expect(check('engagement', 1_000, 1_500)).toBe(false);
    expect(check('engagement', 7_000, 0)).toBe(false);
    expect(check('historical', 4_000, 4_999)).toBe(true);
    expect(check('historical', 5_000, 5_000)).toBe(false);
    expect(check('historical', 8_000, 100)).toBe(false);
    expect(check('continuous', 9_499, 9_000)).toBe(true);
    expect(check('continuous', 9_500, 9_000)).toBe(false);
    expect(check('interactive', 9_999, 0)).toBe(true);
    expect(check('interactive', 10_000, 0)).toBe(false);
  });

  it('leaves interactive and continuous at least 20 % of the day', () => {
    const { historical, engagement } = DEFAULT_PRIORITY_SHARES;
    expect(Math.max(historical.ceiling, engagement.ceiling)).toBeLessThanOrEqual(0.8);
  });
});

describe('chooseWaiter', () => {
  const w = (id: number, account: string, priority: CcPriority, enqueuedAt = id): Waiter => ({
    id,
    account,
    priority,
    enqueuedAt,
  });
  const all = () => true;

  it('serves the highest priority first, whatever the arrival order', () => {
    const waiters = [w(1, 'a', 'engagement'), w(2, 'a', 'historical'), w(3, 'b', 'interactive')];
    expect(chooseWaiter(waiters, new Map(), all)?.id).toBe(3);
  });

  it('skips a priority whose daily share is spent, without blocking lower ones', () => {
    const waiters = [w(1, 'a', 'historical'), w(2, 'b', 'engagement')];
    expect(chooseWaiter(waiters, new Map(), (p) => p !== 'historical')?.id).toBe(2);
    expect(chooseWaiter(waiters, new Map(), () => false)).toBeUndefined();
  });

  it('serves the account served least recently at the same priority (round robin)', () => {
    const waiters = [
      w(1, 'big', 'continuous'),
      w(2, 'big', 'continuous'),
      w(3, 'small', 'continuous'),
    ];
    expect(
      chooseWaiter(
        waiters,
        new Map([
          ['big', 100],
          ['small', 50],
        ]),
        all,
      )?.id,
    ).toBe(3);
    expect(chooseWaiter(waiters, new Map([['big', 100]]), all)?.id).toBe(3);
    expect(
      chooseWaiter(
        waiters,
        new Map([
          ['big', 10],
          ['small', 50],
        ]),
        all,
      )?.id,
    ).toBe(1);
  });

  it('falls back to arrival order within one account', () => {
    const waiters = [w(5, 'a', 'continuous', 20), w(4, 'a', 'continuous', 10)];
    expect(chooseWaiter(waiters, new Map(), all)?.id).toBe(4);
  });
});
