/**
 * One Constant Contact request: a limiter slot, the bearer token, a deadline, the single
 * refresh-and-retry on a 401, and every outcome turned into either a zod-parsed value or an
 * ApiError. Retrying anything else is the caller's decision (server/api/retry.ts).
 */
import type { z } from 'zod';
import type { CcLimiter } from '../api/cc-limiter.ts';
import type { CcPriority } from '../api/cc-policy.ts';
import { ApiError, scrub } from '../api/errors.ts';
import type { TokenSource } from '../api/token-source.ts';
import { ccApi } from './provider.ts';
import { errorBodySchema } from './schemas.ts';

export interface CcHttpOptions {
  /** `https://api.cc.email` (config.constantContact.apiUrl) or a fake's origin. */
  origin: string;
  /** The CC account these calls are made for: the limiter's fair-share unit. */
  account: string;
  tokens: TokenSource;
  limiter: CcLimiter;
  /** Priority of calls that do not say otherwise. */
  priority?: CcPriority;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

export interface CcRequest<T> {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path template for errors and logs, e.g. `/contacts/{contact_id}`. */
  template: string;
  /** Path under `/v3`, or a path-relative `_links` href that starts with `/v3/`. */
  path: string;
  query?: Query;
  body?: unknown;
  schema?: z.ZodType<T>;
  priority?: CcPriority;
}

export type CcSend = <T>(request: CcRequest<T>) => Promise<T>;

export function createCcHttp(options: CcHttpOptions): CcSend {
  const doFetch = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? 30_000;

  function urlOf(request: CcRequest<unknown>): string {
    const path = request.path.startsWith(`${ccApi.basePath}/`)
      ? request.path
      : `${ccApi.basePath}${request.path}`;
    const url = new URL(path, options.origin);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value === undefined) continue;
      url.searchParams.set(key, Array.isArray(value) ? value.join(',') : String(value));
    }
    return url.toString();
  }

  async function once(request: CcRequest<unknown>, token: string): Promise<Response> {
    const operation = `${request.method} ${request.template}`;
    try {
      return await doFetch(urlOf(request), {
        method: request.method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      throw new ApiError({
        provider: 'constant_contact',
        kind: timedOut ? 'timeout' : 'network',
        operation,
        message: timedOut
          ? `Constant Contact did not answer ${operation} within ${timeoutMs} ms.`
          : `Could not reach Constant Contact for ${operation} (${networkCode(error)}).`,
      });
    }
  }

  return async <T>(request: CcRequest<T>): Promise<T> => {
    const operation = `${request.method} ${request.template}`;
    const priority = request.priority ?? options.priority ?? 'continuous';
    // Token first, slot second: the request should leave right after its slot is granted, so
    // the limiter's window matches what CC sees (cc-limiter.ts, window margin).
    let token = await options.tokens.get();
    await options.limiter.acquire({ account: options.account, priority });
    let response = await once(request, token);
    let refreshed = false;
    if (response.status === 401) {
      await response.arrayBuffer();
      token = await options.tokens.refresh(token);
      refreshed = true;
      // The retry is a request of its own for CC's count, so it takes its own slot.
      await options.limiter.acquire({ account: options.account, priority });
      response = await once(request, token);
    }
    const raw = await response.text();
    if (!response.ok) throw errorOf(response, raw, operation, token, refreshed);
    if (!request.schema) return undefined as T;
    let json: unknown;
    try {
      json = raw === '' ? undefined : JSON.parse(raw);
    } catch {
      throw invalid(operation, '(body)', 'the body is not JSON');
    }
    const parsed = request.schema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue?.path.join('.') || '(root)';
      throw invalid(operation, path, issue?.message ?? 'does not match');
    }
    return parsed.data;
  };
}

function invalid(operation: string, path: string, problem: string): ApiError {
  return new ApiError({
    provider: 'constant_contact',
    kind: 'invalid_response',
    operation,
    code: path,
    message: `Constant Contact answered ${operation} with an unexpected shape at ${path}: ${problem}.`,
  });
}

function errorOf(
  response: Response,
  raw: string,
  operation: string,
  token: string,
  refreshed: boolean,
): ApiError {
  let body: unknown = raw;
  try {
    body = raw === '' ? undefined : JSON.parse(raw);
  } catch {
    // §11: text bodies happen at gateways; keep the text.
  }
  // §11: API errors are arrays, auth/429 errors single objects; accept both.
  const parsed = errorBodySchema.safeParse(body);
  const first = parsed.success
    ? Array.isArray(parsed.data)
      ? parsed.data[0]
      : parsed.data
    : undefined;
  const code = first?.error_key;
  const detail = first?.error_message ?? (typeof body === 'string' ? body : '');
  return new ApiError({
    provider: 'constant_contact',
    kind: 'http',
    operation,
    status: response.status,
    code,
    message: scrub(
      `Constant Contact answered ${operation} with ${response.status}${code ? ` ${code}` : ''}${detail ? `: ${detail}` : ''}`,
      [token],
    ),
    retryAfterMs: retryAfterMs(response.headers.get('retry-after')),
    body,
    refreshed,
  });
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function networkCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return typeof cause?.code === 'string' ? cause.code : 'network error';
}
