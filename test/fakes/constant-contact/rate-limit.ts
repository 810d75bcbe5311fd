/**
 * Rate limits per OAuth client (§10): 4 requests per second and 10,000 per day, shared by every
 * CC account connected through that client; the day starts over at 00:00 UTC of the fake clock.
 * The token endpoint has its own 1 per second (§3.7). Fixed one-second windows keep the outcome
 * a pure function of the clock, so tests move the clock instead of sleeping.
 * Rejected requests do not count towards the quota.
 */
import { ccErrors, ccOAuth, ccRateLimits } from '../../../server/constant-contact/provider.ts';
import type { FakeClock } from '../shared/clock.ts';
import { CcHttpError } from './errors.ts';

export interface RateLimitOptions {
  enabled: boolean;
  perSecond: number;
  perDay: number;
  tokenPerSecond: number;
}

export const defaultRateLimits: RateLimitOptions = {
  enabled: true,
  perSecond: ccRateLimits.perSecond,
  perDay: ccRateLimits.perDay,
  tokenPerSecond: ccOAuth.tokenEndpointPerSecond,
};

interface Window {
  key: number;
  count: number;
}

const DAY_MS = 86_400_000;

export class RateLimiter {
  options: RateLimitOptions;
  private readonly second = new Map<string, Window>();
  private readonly day = new Map<string, Window>();
  private readonly tokenSecond = new Map<string, Window>();

  constructor(
    private readonly clock: FakeClock,
    options: Partial<RateLimitOptions> = {},
    private readonly retryAfter: () => boolean = () => false,
  ) {
    this.options = { ...defaultRateLimits, ...options };
  }

  reset(): void {
    this.second.clear();
    this.day.clear();
    this.tokenSecond.clear();
  }

  /** Requests counted today for a client (for the control surface and tests). */
  usedToday(clientId: string): number {
    const w = this.day.get(clientId);
    return w && w.key === Math.floor(this.clock.now() / DAY_MS) ? w.count : 0;
  }

  /** Throws the 429 a CC API call would get; otherwise counts the call. */
  takeApi(clientId: string): void {
    if (!this.options.enabled) return;
    const now = this.clock.now();
    const dayKey = Math.floor(now / DAY_MS);
    const secondKey = Math.floor(now / 1000);
    const day = current(this.day, clientId, dayKey);
    if (day.count >= this.options.perDay) {
      const untilMidnight = Math.ceil(((dayKey + 1) * DAY_MS - now) / 1000);
      throw this.tooMany({ ...ccErrors.quotaExceeded }, untilMidnight);
    }
    const second = current(this.second, clientId, secondKey);
    if (second.count >= this.options.perSecond) throw this.tooMany({ ...ccErrors.throttled }, 1);
    day.count += 1;
    second.count += 1;
  }

  takeToken(clientId: string): void {
    if (!this.options.enabled) return;
    const window = current(this.tokenSecond, clientId, Math.floor(this.clock.now() / 1000));
    if (window.count >= this.options.tokenPerSecond)
      throw this.tooMany({ ...ccErrors.throttled }, 1);
    window.count += 1;
  }

  private tooMany(body: object, retryAfterSeconds: number): CcHttpError {
    // §10: CC sends no rate headers; Retry-After only when a test switches it on.
    const headers: Record<string, string> = this.retryAfter()
      ? { 'retry-after': String(retryAfterSeconds) }
      : {};
    return new CcHttpError(429, body, headers);
  }
}

function current(map: Map<string, Window>, clientId: string, key: number): Window {
  let w = map.get(clientId);
  if (!w || w.key !== key) {
    w = { key, count: 0 };
    map.set(clientId, w);
  }
  return w;
}
