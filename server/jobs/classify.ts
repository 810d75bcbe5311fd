/**
 * What a failed job means for the queue (STYLE.md habit 5: retry is a decision). Workers stay
 * thin: parse → engine → classify. Three outcomes:
 * - `stop`: it cannot succeed by trying again (revoked grant, invalid request, API drift);
 *   the job ends without retries and the cause is visible where the admin looks (the
 *   connection's status, the contact's error).
 * - `defer`: it can succeed later at a known time (daily budget, quota): rescheduled then,
 *   without spending the queue's retry attempts.
 * - `retry`: transient; pg-boss retries with backoff up to the queue's retryLimit.
 */
import { decideRetry, isApiError } from '../api/errors.ts';
import { RetryLaterError } from '../api/retry.ts';
import { isAppError } from '../errors.ts';

export type JobOutcome =
  | { kind: 'stop'; reason: string }
  | { kind: 'defer'; untilMs: number }
  | { kind: 'retry' };

const FINAL_APP_ERRORS = new Set([
  'CC_REAUTH_NEEDED',
  'PIPEDRIVE_REAUTH_NEEDED',
  'CC_NOT_CONFIGURED',
]);

export function classifyJobError(error: unknown, now: number): JobOutcome {
  if (error instanceof RetryLaterError) return { kind: 'defer', untilMs: error.retryAtMs };
  if (isAppError(error)) {
    return FINAL_APP_ERRORS.has(error.code)
      ? { kind: 'stop', reason: error.code }
      : { kind: 'retry' };
  }
  if (isApiError(error)) {
    const decision = decideRetry(error, 1, now);
    if (decision.action === 'stop') return { kind: 'stop', reason: decision.reason };
    if (decision.action === 'wait') return { kind: 'defer', untilMs: decision.untilMs };
  }
  return { kind: 'retry' };
}
