/**
 * Rate limits per OAuth client (§10): 4 requests per second and 10,000 per day, shared by every
 * CC account connected through that client; the day starts over at 00:00 UTC of the fake clock.
 * The token endpoint has its own 1 per second (§3.7). The outcome is a pure function of the fake
 * clock, so tests move the clock instead of sleeping. Rejected requests do not count.
 *
 * How CC counts "per second" is not documented. The default `sliding` window (never more than
 * `perSecond` accepted requests in any 1,000 ms) is the strictest reading: a client that passes
 * it also passes a fixed window or a token bucket. `fixed` (calendar seconds) is the lenient one.
 */
import { ccErrors, ccOAuth, ccRateLimits } from '../../../server/constant-contact/provider.ts';
import type { FakeClock } from '../shared/clock.ts';
import { CcHttpError } from './errors.ts';

export interface RateLimitOptions {
  enabled: boolean;
  perSecond: number;
  perDay: number;
  tokenPerSecond: number;
  window: 'sliding' | 'fixed';
}

export const defaultRateLimits: RateLimitOptions = {
  enabled: true,
  perSecond: ccRateLimits.perSecond,
  perDay: ccRateLimits.perDay,
  tokenPerSecond: ccOAuth.tokenEndpointPerSecond,
  window: 'sliding',
};

interface Window {
  key: number;
  count: number;
}

const DAY_MS = 86_400_000;

export class RateLimiter {
  options: RateLimitOptions;
  private readonly second = new Map<string, number[]>();
  private readonly day = new Map<string, Window>();
  private readonly tokenSecond = new Map<string, number[]>();

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
    const day = current(this.day, clientId, dayKey);
    if (day.count >= this.options.perDay) {
      const untilMidnight = Math.ceil(((dayKey + 1) * DAY_MS - now) / 1000);
      throw this.tooMany({ ...ccErrors.quotaExceeded }, untilMidnight);
    }
    if (!this.admit(this.second, clientId, now, this.options.perSecond)) {
      throw this.tooMany({ ...ccErrors.throttled }, 1);
    }
    day.count += 1;
  }

  takeToken(clientId: string): void {
    if (!this.options.enabled) return;
    if (!this.admit(this.tokenSecond, clientId, this.clock.now(), this.options.tokenPerSecond)) {
      throw this.tooMany({ ...ccErrors.throttled }, 1);
    }
  }

  /** Records and admits a request unless `limit` were already accepted in its one-second window. */
  private admit(map: Map<string, number[]>, clientId: string, now: number, limit: number): boolean {
    let times = map.get(clientId);
    if (!times) {
      times = [];
      map.set(clientId, times);
    }
    const windowStart =
      this.options.window === 'sliding' ? now - 999 : Math.floor(now / 1000) * 1000;
    while (times.length > 0 && (times[0] as number) < windowStart) times.shift();
    // A clock moved backwards (tests) must not leave future entries blocking the present.
    if (times.length > 0 && (times.at(-1) as number) > now) times.length = 0;
    if (times.length >= limit) return false;
    times.push(now);
    return true;
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
