/**
 * Rate limits (reference 9) and faults on demand (the shared FaultRegistry, plus token expiry
 * and revocation through the control surface).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClock } from '../shared/clock.ts';
import { type Started, startFake } from './harness.ts';

let s: Started;
const clock = createClock();

beforeEach(async () => {
  clock.set(Date.UTC(2026, 3, 1, 23, 59, 0));
  s = await startFake({ clock });
});
afterEach(() => s.fake.close());

describe('rate limits', () => {
  it('sends x-ratelimit headers and answers 429 past the OAuth burst limit of the plan', async () => {
    // Demo company 1 is on Growth: 160 requests per 2 s for an OAuth token.
    const first = await s.call('GET', '/api/v2/persons/1');
    expect(first.headers.get('x-ratelimit-limit')).toBe('160');
    expect(first.headers.get('x-ratelimit-remaining')).toBe('159');
    expect(first.headers.get('x-ratelimit-reset')).toBe('2');
    for (let i = 1; i < 160; i++)
      expect((await s.call('GET', '/api/v2/persons/1')).status).toBe(200);
    const over = await s.call('GET', '/api/v2/persons/1');
    expect(over.status).toBe(429);
    expect(over.body).toEqual({
      success: false,
      error: 'Request over limit',
      errorCode: 429,
      data: null,
      additional_data: null,
    });
    expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(over.headers.get('retry-after')).toBeNull();
    s.fake.control.setBehaviour({ retryAfterHeader: true });
    expect((await s.call('GET', '/api/v2/persons/1')).headers.get('retry-after')).toBe('2');
    clock.advance(2001);
    expect((await s.call('GET', '/api/v2/persons/1')).status).toBe(200);
  });

  it('gives API-token callers (x-api-token) the lower API-token burst limit', async () => {
    const admin = [...s.fake.control.company(s.companyId).users.values()].find((u) => u.isAdmin);
    const call = () =>
      fetch(`${s.baseUrl}/api/v2/persons/1`, { headers: { 'x-api-token': admin?.apiToken ?? '' } });
    const first = await call();
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('40');
    for (let i = 1; i < 40; i++) await call();
    expect((await call()).status).toBe(429);
    expect(
      (await fetch(`${s.baseUrl}/api/v2/persons/1`, { headers: { 'x-api-token': 'wrong' } }))
        .status,
    ).toBe(401);
  });

  it('limits search to 10 requests per 2 s', async () => {
    for (let i = 0; i < 10; i++)
      expect((await s.call('GET', '/api/v2/persons/search?term=ada')).status).toBe(200);
    expect((await s.call('GET', '/api/v2/persons/search?term=ada')).status).toBe(429);
    expect((await s.call('GET', '/api/v2/persons/1')).status).toBe(200);
  });

  it('charges the daily token budget with x-token-cost and resets at midnight UTC', async () => {
    s.fake.control.setRateLimits({ dailyBudget: 25 });
    await s.call('GET', '/api/v2/persons'); // 10
    await s.call('GET', '/api/v2/persons/1'); // 1
    await s.call('POST', '/api/v2/persons', { name: 'Budget' }); // 5
    expect(s.fake.control.tokensUsed(s.companyId)).toBe(16);
    await s.call('GET', '/api/v2/persons'); // 10 → 26 > 25
    expect(s.fake.control.tokensUsed(s.companyId)).toBe(16);
    const denied = await s.call('GET', '/api/v2/persons');
    expect(denied.status).toBe(429);
    expect((await s.call('GET', '/v1/users/me')).status).toBe(200); // 2 more still fit
    clock.advance(60_000);
    expect((await s.call('GET', '/api/v2/persons')).status).toBe(200);
  });

  it('can be switched off', async () => {
    s.fake.control.setRateLimits({ enabled: false });
    const res = await s.call('GET', '/api/v2/persons/1');
    expect(res.headers.get('x-ratelimit-limit')).toBeNull();
  });
});

describe('error statuses', () => {
  it('answers 410 Gone for the removed v1 person and activity endpoints, 404 for unknown ones', async () => {
    const gone = await s.call('GET', '/v1/persons/1');
    expect(gone.status).toBe(410);
    expect(gone.body).toMatchObject({ success: false, data: null, additional_data: null });
    expect((await s.call('POST', '/api/v1/activities', { subject: 'x' })).status).toBe(410);
    expect((await s.call('GET', '/api/v2/unknown')).status).toBe(404);
    expect((await s.call('GET', '/api/v2/persons/999999')).body).toMatchObject({
      success: false,
      error: 'Person not found',
    });
  });
});

describe('faults on demand', () => {
  it('fails the next N calls to a route with a status, then recovers', async () => {
    s.fake.control.addFault({ method: 'GET', path: '^/api/v2/persons$', times: 2, status: 503 });
    const a = await s.call('GET', '/api/v2/persons');
    expect(a.status).toBe(503);
    expect(a.body).toMatchObject({ success: false, code: 'ERR_UNKNOWN' });
    expect((await s.call('GET', '/api/v2/persons')).status).toBe(503);
    expect((await s.call('GET', '/api/v2/persons')).status).toBe(200);
    expect((await s.call('GET', '/api/v2/persons/1')).status).toBe(200);
  });

  it('resets the connection and hangs past a client timeout', async () => {
    s.fake.control.addFault({ path: '^/api/v2/persons/1$', kind: 'reset' });
    await expect(s.call('GET', '/api/v2/persons/1')).rejects.toThrow();
    s.fake.control.addFault({ path: '^/api/v2/persons/1$', kind: 'hang', hangMs: 400 });
    const started = Date.now();
    await expect(
      fetch(`${s.baseUrl}/api/v2/persons/1`, {
        headers: { authorization: `Bearer ${s.token}` },
        signal: AbortSignal.timeout(150),
      }),
    ).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await s.call('GET', '/api/v2/persons/1')).status).toBe(200);
  });

  it('expires or revokes a token on demand', async () => {
    const other = s.fake.control.mintToken({ companyId: s.companyId }).access_token;
    s.fake.control.expireToken(other);
    const expired = await s.call('GET', '/v1/users/me', undefined, other);
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({
      success: false,
      error: 'Invalid token: access_token is invalid',
      errorCode: 401,
    });
    const third = s.fake.control.mintToken({ companyId: s.companyId }).access_token;
    expect((await s.call('GET', '/v1/users/me', undefined, third)).status).toBe(200);
    s.fake.control.revokeToken(third);
    expect((await s.call('GET', '/v1/users/me', undefined, third)).status).toBe(401);
  });

  it('records requests per company in the request log', async () => {
    s.fake.control.clearRequests();
    await s.call('GET', '/api/v2/persons/2');
    await s.call('GET', '/api/v2/nope');
    const log = s.fake.control.requests();
    expect(log.map((r) => `${r.method} ${r.path} ${r.status} ${r.tenant ?? '-'}`)).toEqual([
      `GET /api/v2/persons/2 200 ${s.companyId}`,
      'GET /api/v2/nope 404 -',
    ]);
  });
});
