import { describe, expect, it } from 'vitest';
import {
  ApiError,
  type ApiErrorInit,
  backoffMs,
  decideRetry,
  defaultRetryPolicy,
  nextUtcMidnight,
  redactBody,
  scrub,
} from '../../server/api/errors.ts';
import { RetryLaterError, withRetry } from '../../server/api/retry.ts';

const NOW = Date.UTC(2026, 10, 26, 10, 30, 0);
const MIDNIGHT = Date.UTC(2026, 10, 27, 0, 0, 0);
const fixed = { random: () => 0.5 };

function cc(init: Partial<ApiErrorInit>): ApiError {
  return new ApiError({
    provider: 'constant_contact',
    kind: 'http',
    operation: 'GET /contacts',
    message: 'failed',
    ...init,
  });
}
function pd(init: Partial<ApiErrorInit>): ApiError {
  return new ApiError({
    provider: 'pipedrive',
    kind: 'http',
    operation: 'v2 GET /persons',
    message: 'failed',
    ...init,
  });
}

describe('decideRetry', () => {
  it('retries network errors, timeouts and 5xx with capped, jittered exponential backoff', () => {
    expect(decideRetry(cc({ kind: 'network' }), 1, NOW, fixed)).toEqual({
      action: 'retry',
      delayMs: 375,
    });
    expect(decideRetry(pd({ kind: 'timeout' }), 2, NOW, fixed)).toEqual({
      action: 'retry',
      delayMs: 750,
    });
    expect(decideRetry(cc({ status: 503 }), 3, NOW, fixed)).toEqual({
      action: 'retry',
      delayMs: 1500,
    });
    // the cap: 500 × 2^19 is far above 30 s
    const policy = { ...defaultRetryPolicy, random: () => 0.999 };
    expect(backoffMs(20, policy)).toBeLessThanOrEqual(30_000);
    expect(backoffMs(20, { ...policy, random: () => 0 })).toBe(15_000);
  });

  it('is deterministic for a given random source and spreads with different ones', () => {
    const a = decideRetry(pd({ status: 500 }), 2, NOW, { random: () => 0 });
    const b = decideRetry(pd({ status: 500 }), 2, NOW, { random: () => 0.99 });
    expect(a).toEqual(decideRetry(pd({ status: 500 }), 2, NOW, { random: () => 0 }));
    expect(a).not.toEqual(b);
  });

  it('honours Retry-After on a 503 when it is longer than the backoff', () => {
    expect(decideRetry(cc({ status: 503, retryAfterMs: 7_000 }), 1, NOW, fixed)).toEqual({
      action: 'retry',
      delayMs: 7_000,
    });
  });

  it('stops transient retries after maxAttempts', () => {
    expect(decideRetry(cc({ status: 502 }), 5, NOW, fixed)).toEqual({
      action: 'stop',
      reason: 'attempts_exhausted',
    });
    expect(decideRetry(cc({ kind: 'network' }), 2, NOW, { ...fixed, maxAttempts: 2 })).toEqual({
      action: 'stop',
      reason: 'attempts_exhausted',
    });
  });

  it('waits about a second on a CC throttled 429, or for Retry-After when sent', () => {
    expect(decideRetry(cc({ status: 429, code: 'throttled' }), 1, NOW)).toEqual({
      action: 'wait',
      untilMs: NOW + 1_000,
      reason: 'throttled',
    });
    expect(
      decideRetry(cc({ status: 429, code: 'throttled', retryAfterMs: 3_000 }), 1, NOW),
    ).toEqual({ action: 'wait', untilMs: NOW + 3_000, reason: 'throttled' });
  });

  it('waits a minute when the CC bulk-activity queue is full', () => {
    const error = cc({
      status: 429,
      code: 'throttled',
      message: 'Too many requests. You exceeded 1,000 queued activities for this user account.',
    });
    expect(decideRetry(error, 1, NOW)).toEqual({
      action: 'wait',
      untilMs: NOW + 60_000,
      reason: 'throttled',
    });
  });

  it('waits until 00:00 UTC on CC quota_exceeded', () => {
    expect(decideRetry(cc({ status: 429, code: 'quota_exceeded' }), 1, NOW)).toEqual({
      action: 'wait',
      untilMs: MIDNIGHT,
      reason: 'daily_quota',
    });
    expect(nextUtcMidnight(MIDNIGHT)).toBe(MIDNIGHT + 86_400_000);
  });

  it('waits for the Pipedrive burst reset, then assumes the daily budget after repeated 429s', () => {
    expect(decideRetry(pd({ status: 429, retryAfterMs: 1_000 }), 1, NOW)).toEqual({
      action: 'wait',
      untilMs: NOW + 1_000,
      reason: 'throttled',
    });
    expect(decideRetry(pd({ status: 429 }), 2, NOW)).toEqual({
      action: 'wait',
      untilMs: NOW + 2_000,
      reason: 'throttled',
    });
    expect(decideRetry(pd({ status: 429 }), 5, NOW)).toMatchObject({ reason: 'throttled' });
    expect(decideRetry(pd({ status: 429 }), 6, NOW)).toEqual({
      action: 'wait',
      untilMs: MIDNIGHT,
      reason: 'daily_quota',
    });
  });

  it('waits until the reset of our own budget', () => {
    const error = pd({ kind: 'budget', resetAtMs: MIDNIGHT, message: 'share used' });
    expect(decideRetry(error, 1, NOW)).toEqual({
      action: 'wait',
      untilMs: MIDNIGHT,
      reason: 'budget',
    });
  });

  it('retries a first 401 at once and asks for re-auth after the refresh was spent', () => {
    expect(decideRetry(cc({ status: 401 }), 1, NOW)).toEqual({ action: 'retry', delayMs: 0 });
    expect(decideRetry(cc({ status: 401, refreshed: true }), 1, NOW)).toEqual({
      action: 'stop',
      reason: 'reauth',
    });
    expect(decideRetry(pd({ status: 401, refreshed: true }), 3, NOW)).toEqual({
      action: 'stop',
      reason: 'reauth',
    });
  });

  it('stops on client errors with the reason the caller acts on', () => {
    const cases: Array<[number, string]> = [
      [400, 'invalid_request'],
      [422, 'invalid_request'],
      [404, 'not_found'],
      [409, 'conflict'],
      [410, 'gone'],
      [403, 'forbidden'],
      [402, 'payment_required'],
      [501, 'invalid_request'],
    ];
    for (const [status, reason] of cases) {
      expect(decideRetry(pd({ status }), 1, NOW), String(status)).toEqual({
        action: 'stop',
        reason,
      });
      expect(decideRetry(cc({ status }), 1, NOW), String(status)).toEqual({
        action: 'stop',
        reason,
      });
    }
  });

  it('retries the CC sign_up_form 409 (concurrent update) but not other 409s', () => {
    const signUp = cc({ status: 409, operation: 'POST /contacts/sign_up_form' });
    expect(decideRetry(signUp, 1, NOW, fixed)).toEqual({ action: 'retry', delayMs: 375 });
    const create = cc({ status: 409, operation: 'POST /contacts' });
    expect(decideRetry(create, 1, NOW, fixed)).toEqual({ action: 'stop', reason: 'conflict' });
  });

  it('stops on schema drift and on errors that are not ApiErrors', () => {
    expect(decideRetry(cc({ kind: 'invalid_response' }), 1, NOW)).toEqual({
      action: 'stop',
      reason: 'invalid_response',
    });
    expect(decideRetry(new TypeError('bug'), 1, NOW)).toEqual({
      action: 'stop',
      reason: 'unknown',
    });
  });
});

describe('ApiError', () => {
  it('drops credential-looking keys from the body and secrets from text', () => {
    const error = cc({
      status: 400,
      body: { error: 'x', access_token: 'abc', nested: [{ refresh_token: 'def', ok: 1 }] },
    });
    expect(JSON.stringify(error)).not.toMatch(/abc|def/);
    expect(redactBody({ Authorization: 'Bearer q' })).toEqual({ Authorization: '[redacted]' });
    expect(scrub('token sk_live_1234567890 leaked', ['sk_live_1234567890'])).toBe(
      'token [redacted] leaked',
    );
  });
});

describe('withRetry', () => {
  it('sleeps as decided and returns the first success', async () => {
    const slept: number[] = [];
    let calls = 0;
    const result = await withRetry(
      async () => {
        calls++;
        if (calls < 3) throw cc({ status: 500 });
        return 'ok';
      },
      {
        decide: (e, a, n) => decideRetry(e, a, n, fixed),
        sleep: async (ms) => {
          slept.push(ms);
        },
        now: () => NOW,
      },
    );
    expect(result).toBe('ok');
    expect(slept).toEqual([375, 750]);
  });

  it('rethrows a stop at once', async () => {
    let calls = 0;
    const error = cc({ status: 404 });
    await expect(
      withRetry(
        async () => {
          calls++;
          throw error;
        },
        { sleep: async () => undefined },
      ),
    ).rejects.toBe(error);
    expect(calls).toBe(1);
  });

  it('turns a long wait into RetryLaterError instead of sleeping', async () => {
    const promise = withRetry(
      async () => {
        throw cc({ status: 429, code: 'quota_exceeded' });
      },
      { now: () => NOW, sleep: async () => undefined, maxWaitMs: 60_000 },
    );
    await expect(promise).rejects.toBeInstanceOf(RetryLaterError);
    await expect(promise).rejects.toMatchObject({ retryAtMs: MIDNIGHT, reason: 'daily_quota' });
  });

  it('gives up after maxAttempts even when every decision is a short wait', async () => {
    let calls = 0;
    await expect(
      withRetry(
        async () => {
          calls++;
          throw cc({ status: 429, code: 'throttled' });
        },
        { sleep: async () => undefined, maxAttempts: 3 },
      ),
    ).rejects.toBeInstanceOf(ApiError);
    expect(calls).toBe(3);
  });
});
