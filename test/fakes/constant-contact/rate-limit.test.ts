import { afterEach, describe, expect, it } from 'vitest';
import { APP, type Harness, startHarness, T0 } from './harness.ts';

let h: Harness;
afterEach(() => h.close());

async function twoAccounts(rateLimits: Record<string, unknown>): Promise<[string, string]> {
  h = await startHarness({ rateLimits: { enabled: true, ...rateLimits } });
  h.fake.control.addAccount({ accountId: 'acct-b' });
  return [h.token('a07e1empty001'), h.token('acct-b')];
}

describe('rate limits per OAuth client', () => {
  it('4 requests per second are shared across accounts; the 5th gets 429 throttled, no rate headers', async () => {
    const [a, b] = await twoAccounts({});
    const statuses: number[] = [];
    for (const token of [a, b, a, b])
      statuses.push((await h.call('GET', '/v3/contacts', { token })).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    const fifth = await h.call('GET', '/v3/contacts', { token: b });
    expect(fifth.status).toBe(429);
    expect(fifth.body).toEqual({ error_key: 'throttled', error_message: 'Too Many Requests' });
    for (const name of fifth.headers.keys()) expect(name).not.toMatch(/ratelimit|retry-after/i);
    // Another OAuth client has its own budget.
    const other = h.token('acct-b', 'other-client');
    expect((await h.call('GET', '/v3/contacts', { token: other })).status).toBe(200);
    h.fake.clock.advance(1000);
    expect((await h.call('GET', '/v3/contacts', { token: b })).status).toBe(200);
  });

  it('counts any 1,000 ms (sliding) by default, calendar seconds when switched to fixed', async () => {
    const [a] = await twoAccounts({});
    const burst = async () => {
      h.fake.clock.set(T0 + 900);
      for (let i = 0; i < 4; i++)
        expect((await h.call('GET', '/v3/contacts', { token: a })).status).toBe(200);
      h.fake.clock.set(T0 + 1000);
      return (await h.call('GET', '/v3/contacts', { token: a })).status;
    };
    expect(await burst()).toBe(429);
    h.fake.clock.set(T0 + 1900);
    expect((await h.call('GET', '/v3/contacts', { token: a })).status).toBe(200);
    h.fake.limiter.reset();
    h.fake.control.setRateLimits({ window: 'fixed' });
    expect(await burst()).toBe(200);
  });

  it('the daily quota is shared across accounts and resets at 00:00 UTC', async () => {
    const [a, b] = await twoAccounts({ perDay: 6 });
    for (let i = 0; i < 6; i++) {
      h.fake.clock.advance(1000);
      expect((await h.call('GET', '/v3/contacts', { token: i % 2 ? a : b })).status).toBe(200);
    }
    h.fake.clock.advance(1000);
    const over = await h.call('GET', '/v3/contacts', { token: a });
    expect(over.status).toBe(429);
    expect(over.body).toEqual({ error_key: 'quota_exceeded', error_message: 'Limit Exceeded' });
    expect(h.fake.control.usedToday(APP.clientId)).toBe(6);
    const midnight = Date.UTC(2026, 10, 27, 0, 0, 0);
    h.fake.clock.set(midnight - 1000);
    expect((await h.call('GET', '/v3/contacts', { token: b })).status).toBe(429);
    h.fake.clock.set(midnight);
    expect((await h.call('GET', '/v3/contacts', { token: b })).status).toBe(200);
    expect(T0).toBeLessThan(midnight);
  });

  it('uses the real numbers by default and can be switched off', async () => {
    h = await startHarness({ rateLimits: { enabled: true } });
    expect(h.fake.limiter.options).toMatchObject({
      perSecond: 4,
      perDay: 10_000,
      tokenPerSecond: 1,
    });
    h.fake.control.setRateLimits({ enabled: false });
    for (let i = 0; i < 10; i++) expect((await h.call('GET', '/v3/contacts')).status).toBe(200);
  });

  it('logs the client id and account of each request', async () => {
    const [a, b] = await twoAccounts({ perSecond: 100 });
    await h.call('GET', '/v3/contacts', { token: a });
    await h.call('GET', '/v3/contact_lists', { token: b });
    const log = h.fake.log.all().filter((r) => r.path.startsWith('/v3/'));
    expect(log.map((r) => [r.path, r.clientId, r.tenant, r.status])).toEqual([
      ['/v3/contacts', APP.clientId, 'a07e1empty001', 200],
      ['/v3/contact_lists', APP.clientId, 'acct-b', 200],
    ]);
    expect(h.fake.control.apiSpend(APP.clientId)).toEqual({
      requests: 2,
      throttled: 0,
      maxPerSecond: 2,
      byAccount: { a07e1empty001: 1, 'acct-b': 1 },
    });
  });

  it('can send Retry-After when switched on', async () => {
    const [a] = await twoAccounts({ perSecond: 1 });
    h.fake.control.setBehaviour({ retryAfterHeader: true });
    await h.call('GET', '/v3/contacts', { token: a });
    const res = await h.call('GET', '/v3/contacts', { token: a });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
  });
});
