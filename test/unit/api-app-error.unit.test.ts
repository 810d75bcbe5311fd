import { describe, expect, it } from 'vitest';
import { toAppError } from '../../server/api/app-error.ts';
import { ApiError, type ApiErrorInit } from '../../server/api/errors.ts';
import { RetryLaterError } from '../../server/api/retry.ts';

const NOW = Date.UTC(2026, 10, 26, 10, 0, 0);
const error = (init: Partial<ApiErrorInit>) =>
  new ApiError({
    provider: 'constant_contact',
    kind: 'http',
    operation: 'GET /contacts',
    message: 'failed',
    ...init,
  });

describe('toAppError', () => {
  it('maps connection-wide outcomes to catalogue codes', () => {
    expect(toAppError(error({ status: 401, refreshed: true }), 1, NOW)?.code).toBe(
      'CC_REAUTH_NEEDED',
    );
    expect(
      toAppError(error({ provider: 'pipedrive', status: 401, refreshed: true }), 1, NOW)?.code,
    ).toBe('PIPEDRIVE_REAUTH_NEEDED');
    expect(toAppError(error({ kind: 'invalid_response' }), 1, NOW)?.code).toBe(
      'PROVIDER_RESPONSE_INVALID',
    );
    expect(toAppError(error({ status: 403 }), 1, NOW)?.code).toBe('PROVIDER_PERMISSION_DENIED');
    expect(toAppError(error({ status: 503 }), 5, NOW)?.code).toBe('PROVIDER_UNAVAILABLE');
  });

  it('names the daily limit of the right provider, with the time it clears', () => {
    const later = new RetryLaterError(
      Date.UTC(2026, 10, 27),
      'daily_quota',
      error({ status: 429, code: 'quota_exceeded' }),
    );
    const app = toAppError(later, 1, NOW);
    expect(app?.code).toBe('CC_DAILY_LIMIT_REACHED');
    expect(app?.detail).toMatchObject({ retryAt: '2026-11-27T00:00:00.000Z', status: 429 });
    const pd = error({ provider: 'pipedrive', kind: 'budget', resetAtMs: Date.UTC(2026, 10, 27) });
    expect(toAppError(pd, 1, NOW)?.code).toBe('PIPEDRIVE_BUDGET_REACHED');
  });

  it('leaves per-contact outcomes to the caller', () => {
    for (const status of [400, 404, 409, 422])
      expect(toAppError(error({ status }), 1, NOW)).toBeUndefined();
    expect(toAppError(new Error('bug'), 1, NOW)).toBeUndefined();
  });
});
