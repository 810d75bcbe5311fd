/**
 * From a failed provider call to the catalogue code an admin reads (server/errors.ts). Only
 * outcomes about the connection as a whole map to a code; per-contact outcomes (400, 404, 409)
 * return undefined, because the sync engine records those against the contact instead.
 */
import { AppError, type ErrorCode } from '../errors.ts';
import { decideRetry, isApiError, type RetryDecision } from './errors.ts';
import { RetryLaterError } from './retry.ts';

export function appErrorCodeFor(error: unknown, decision: RetryDecision): ErrorCode | undefined {
  const cause = error instanceof RetryLaterError ? error.error : error;
  if (!isApiError(cause)) return undefined;
  const pipedrive = cause.provider === 'pipedrive';
  if (decision.action === 'wait') {
    if (decision.reason === 'throttled') return 'PROVIDER_UNAVAILABLE';
    return pipedrive ? 'PIPEDRIVE_BUDGET_REACHED' : 'CC_DAILY_LIMIT_REACHED';
  }
  if (decision.action === 'retry') return 'PROVIDER_UNAVAILABLE';
  switch (decision.reason) {
    case 'reauth':
      return pipedrive ? 'PIPEDRIVE_REAUTH_NEEDED' : 'CC_REAUTH_NEEDED';
    case 'invalid_response':
      return 'PROVIDER_RESPONSE_INVALID';
    case 'forbidden':
      return 'PROVIDER_PERMISSION_DENIED';
    case 'attempts_exhausted':
      return 'PROVIDER_UNAVAILABLE';
    default:
      return undefined;
  }
}

/** The AppError for a call that `withRetry` gave up on, or undefined when it is per contact. */
export function toAppError(error: unknown, attempt = 1, now = Date.now()): AppError | undefined {
  const cause = error instanceof RetryLaterError ? error.error : error;
  const decision: RetryDecision =
    error instanceof RetryLaterError
      ? { action: 'wait', untilMs: error.retryAtMs, reason: error.reason }
      : decideRetry(cause, attempt, now);
  const code = appErrorCodeFor(cause, decision);
  if (!code || !isApiError(cause)) return undefined;
  return new AppError(code, {
    detail: {
      provider: cause.provider,
      operation: cause.operation,
      status: cause.status,
      providerCode: cause.code,
      ...(decision.action === 'wait' ? { retryAt: new Date(decision.untilMs).toISOString() } : {}),
    },
  });
}
