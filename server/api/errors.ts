/**
 * What the API clients throw, and the one pure function that decides what to do about it
 * (STYLE.md habit 5: retry is a decision, not a reflex). Clients never loop on their own; the
 * executor in retry.ts asks `decideRetry` after each failed attempt.
 */
import { PIPEDRIVE_RATE_LIMITS } from '../pipedrive/provider.ts';

export type Provider = 'pipedrive' | 'constant_contact';

/**
 * - `http`: the provider answered with a non-2xx status.
 * - `network` / `timeout`: no answer (connection refused or reset, DNS, our own deadline).
 * - `invalid_response`: a 2xx whose body did not match our zod schema (API drift).
 * - `budget`: our own limiter refused before calling (daily share or quota used up).
 */
export type ApiErrorKind = 'http' | 'network' | 'timeout' | 'invalid_response' | 'budget';

export interface ApiErrorInit {
  provider: Provider;
  kind: ApiErrorKind;
  /** `"<METHOD> <path template>"`, e.g. `GET /contacts/{contact_id}`; never a full URL. */
  operation: string;
  message: string;
  status?: number;
  /** CC `error_key`, Pipedrive `code`/`errorCode`, or a zod field path for drift. */
  code?: string;
  /** From Retry-After or `x-ratelimit-reset`, when the provider said. */
  retryAfterMs?: number;
  /** For `budget`: when the budget starts over (epoch ms). */
  resetAtMs?: number;
  /** The parsed error body, with anything that looks like a credential removed. */
  body?: unknown;
  /** True when the client already refreshed the token once for this call (401 handling). */
  refreshed?: boolean;
}

const SECRET_KEY = /token|secret|password|authorization|api_key|apikey|code_verifier/i;

/** Drops credential-looking keys from a parsed body so an error never carries one. */
export function redactBody(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[truncated]';
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => redactBody(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] = SECRET_KEY.test(key) ? '[redacted]' : redactBody(v, depth + 1);
    }
    return out;
  }
  if (typeof value === 'string' && value.length > 500) return `${value.slice(0, 500)}…`;
  return value;
}

/** Removes each known secret from a text (defence in depth for provider messages). */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  return out.length > 300 ? `${out.slice(0, 300)}…` : out;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly provider: Provider;
  readonly kind: ApiErrorKind;
  readonly operation: string;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly resetAtMs: number | undefined;
  readonly body: unknown;
  readonly refreshed: boolean;

  constructor(init: ApiErrorInit) {
    // No `cause`: an axios error's cause holds the request config with the Authorization header.
    super(init.message);
    this.provider = init.provider;
    this.kind = init.kind;
    this.operation = init.operation;
    this.status = init.status;
    this.code = init.code;
    this.retryAfterMs = init.retryAfterMs;
    this.resetAtMs = init.resetAtMs;
    this.body = init.body === undefined ? undefined : redactBody(init.body);
    this.refreshed = init.refreshed ?? false;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      provider: this.provider,
      kind: this.kind,
      operation: this.operation,
      status: this.status,
      code: this.code,
      message: this.message,
      retryAfterMs: this.retryAfterMs,
      resetAtMs: this.resetAtMs,
      refreshed: this.refreshed,
      body: this.body,
    };
  }
}

export function isApiError(error: unknown): error is ApiError {
  return error instanceof ApiError;
}

export type StopReason =
  | 'reauth'
  | 'invalid_request'
  | 'not_found'
  | 'conflict'
  | 'forbidden'
  | 'gone'
  | 'payment_required'
  | 'invalid_response'
  | 'attempts_exhausted'
  | 'unknown';

export type WaitReason = 'throttled' | 'daily_quota' | 'budget';

export type RetryDecision =
  | { action: 'retry'; delayMs: number }
  | { action: 'wait'; untilMs: number; reason: WaitReason }
  | { action: 'stop'; reason: StopReason };

export interface RetryPolicy {
  /** Attempts in total for transient failures (network, timeout, 5xx). */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** [0, 1); inject a fixed source for deterministic tests. */
  random: () => number;
  /**
   * Pipedrive sends the same 429 for the 2-second burst and for the daily budget (reference
   * 9.5: "No documented field tells a daily-budget 429 from a burst 429"). A burst clears in
   * 2 s and pipedrive-budget.ts makes callers wait for its reset, so this many 429s for one
   * call (about 10 s of them) means the daily budget is gone. Set high on purpose: a false
   * "daily" postpones the call to midnight, a false "burst" only costs a few more 2 s waits.
   */
  pipedriveDailyAfter429s: number;
  /** CC throttled 429 without Retry-After: the per-second window (reference §10). */
  ccThrottleWaitMs: number;
  /** CC 429 for more than 1,000 queued bulk activities (reference §8): they take minutes. */
  ccQueueWaitMs: number;
  /** Pipedrive burst window when no header says (reference 9.3: rolling 2 s). */
  pipedriveBurstWaitMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  random: Math.random,
  pipedriveDailyAfter429s: 6,
  ccThrottleWaitMs: 1_000,
  ccQueueWaitMs: 60_000,
  pipedriveBurstWaitMs: PIPEDRIVE_RATE_LIMITS.burstWindowSeconds * 1000,
};

const DAY_MS = 86_400_000;

/** Next 00:00 UTC after `now`: CC's daily quota (§10) and the day of our own counters. */
export function nextUtcMidnight(now: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS + DAY_MS;
}

/** Capped exponential backoff with "equal jitter": never zero, never above the cap. */
export function backoffMs(attempt: number, policy: RetryPolicy): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + policy.random() * (exp / 2));
}

/**
 * What to do after attempt number `attempt` (1-based) failed with `error` at time `now`.
 * Pure: no clock, no randomness except `policy.random`.
 */
export function decideRetry(
  error: unknown,
  attempt: number,
  now: number,
  overrides: Partial<RetryPolicy> = {},
): RetryDecision {
  const policy = { ...defaultRetryPolicy, ...overrides };
  if (!isApiError(error)) return { action: 'stop', reason: 'unknown' };
  const transient = (minDelayMs = 0): RetryDecision =>
    attempt >= policy.maxAttempts
      ? { action: 'stop', reason: 'attempts_exhausted' }
      : { action: 'retry', delayMs: Math.max(minDelayMs, backoffMs(attempt, policy)) };

  switch (error.kind) {
    case 'budget':
      return { action: 'wait', untilMs: error.resetAtMs ?? nextUtcMidnight(now), reason: 'budget' };
    case 'invalid_response':
      // Drift does not heal by asking again; it needs a code change (STYLE.md habit 7).
      return { action: 'stop', reason: 'invalid_response' };
    case 'network':
    case 'timeout':
      return transient();
    case 'http':
      break;
  }

  const status = error.status ?? 0;
  if (status === 429) return decide429(error, attempt, now, policy);
  if (status === 401) {
    // The client refreshes once on the first 401; a 401 after that means the grant is gone.
    return error.refreshed ? { action: 'stop', reason: 'reauth' } : { action: 'retry', delayMs: 0 };
  }
  if (status >= 500) {
    if (status === 501) return { action: 'stop', reason: 'invalid_request' };
    return transient(error.retryAfterMs ?? 0);
  }
  if (status === 409) {
    // CC §4.1/§11: a 409 from sign_up_form means two concurrent requests for the same contact:
    // pause and retry. Every other 409 is a real conflict the caller resolves.
    if (error.provider === 'constant_contact' && error.operation.endsWith('/contacts/sign_up_form'))
      return transient();
    return { action: 'stop', reason: 'conflict' };
  }
  if (status === 403) return { action: 'stop', reason: 'forbidden' };
  if (status === 402) return { action: 'stop', reason: 'payment_required' };
  if (status === 404) return { action: 'stop', reason: 'not_found' };
  if (status === 410) return { action: 'stop', reason: 'gone' };
  if (status === 408) return transient();
  return { action: 'stop', reason: 'invalid_request' };
}

function decide429(
  error: ApiError,
  attempt: number,
  now: number,
  policy: RetryPolicy,
): RetryDecision {
  if (error.provider === 'constant_contact') {
    // §10: quota_exceeded will not clear before midnight UTC.
    if (error.code === 'quota_exceeded')
      return { action: 'wait', untilMs: nextUtcMidnight(now), reason: 'daily_quota' };
    const queued = /queued activities/i.test(error.message);
    const fallback = queued ? policy.ccQueueWaitMs : policy.ccThrottleWaitMs;
    return { action: 'wait', untilMs: now + (error.retryAfterMs ?? fallback), reason: 'throttled' };
  }
  if (attempt >= policy.pipedriveDailyAfter429s)
    return { action: 'wait', untilMs: nextUtcMidnight(now), reason: 'daily_quota' };
  return {
    action: 'wait',
    untilMs: now + (error.retryAfterMs ?? policy.pipedriveBurstWaitMs),
    reason: 'throttled',
  };
}
