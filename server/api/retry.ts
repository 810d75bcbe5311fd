/**
 * The one retry loop: run `fn`, and after each failure follow `decideRetry`. Callers (workers,
 * routes) wrap a client call in `withRetry` instead of writing their own loops.
 *
 * A `wait` that would end later than `maxWaitMs` from now is not slept through: the error is
 * rethrown as a `RetryLaterError` carrying the time, so a job can be rescheduled for then
 * instead of holding a worker until midnight.
 */
import { type ApiError, decideRetry, type RetryDecision, type WaitReason } from './errors.ts';

export interface RetryOptions {
  decide?: (error: unknown, attempt: number, now: number) => RetryDecision;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Hard cap on attempts of any kind (including waits after 429s). */
  maxAttempts?: number;
  /** Longest wait slept through in place; longer waits throw RetryLaterError. */
  maxWaitMs?: number;
  /** Called before each retry or wait; for logging. */
  onRetry?: (info: { attempt: number; error: unknown; decision: RetryDecision }) => void;
}

/** A call that should be tried again at `retryAtMs`, not now (job layer reschedules). */
export class RetryLaterError extends Error {
  override readonly name = 'RetryLaterError';
  constructor(
    readonly retryAtMs: number,
    readonly reason: WaitReason,
    readonly error: ApiError | unknown,
  ) {
    super(`Retry after ${new Date(retryAtMs).toISOString()} (${reason})`);
  }
}

export const realSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

export async function withRetry<T>(
  fn: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const decide = options.decide ?? ((e, a, n) => decideRetry(e, a, n));
  const sleep = options.sleep ?? realSleep;
  const now = options.now ?? Date.now;
  const maxAttempts = options.maxAttempts ?? 10;
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      const decision = decide(error, attempt, now());
      if (decision.action === 'stop' || attempt >= maxAttempts) throw error;
      const delay =
        decision.action === 'retry' ? decision.delayMs : Math.max(0, decision.untilMs - now());
      if (decision.action === 'wait' && delay > maxWaitMs)
        throw new RetryLaterError(decision.untilMs, decision.reason, error);
      options.onRetry?.({ attempt, error, decision });
      if (delay > 0) await sleep(delay);
    }
  }
}
