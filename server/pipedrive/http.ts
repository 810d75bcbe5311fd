/**
 * One Pipedrive call through the official SDK with status and headers kept (stack.md §9,
 * reference 9.6): each `*ApiFactory` gets our axios instance with `validateStatus: () => true`,
 * so a call resolves to the full AxiosResponse instead of the bare body, and errors stop being
 * plain objects without a status. Around it: the company budget (reserve before, observe the
 * x-ratelimit-* headers after), the token, the single refresh on a 401, and zod on the body.
 */
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import type { z } from 'zod';
import { ApiError, scrub } from '../api/errors.ts';
import type { PipedriveBudget } from '../api/pipedrive-budget.ts';
import type { TokenSource } from '../api/token-source.ts';
import { PIPEDRIVE_RATE_LIMITS, type PipedriveOperationKey } from './provider.ts';
import { errorEnvelopeSchema } from './schemas.ts';

export interface PipedriveHttpOptions {
  /** The installation's `api_domain` (reference 2.1), e.g. `https://acme.pipedrive.com`. */
  apiDomain: string;
  companyId: number;
  tokens: TokenSource;
  budget: PipedriveBudget;
  timeoutMs?: number;
}

export interface PipedriveHttp {
  /** The axios instance to hand to every `*ApiFactory`. */
  axios: AxiosInstance;
  /** The SDK reads the token through this on every request. */
  accessToken: () => Promise<string>;
  call<T>(
    operation: PipedriveOperationKey,
    invoke: () => Promise<unknown>,
    schema: z.ZodType<T>,
  ): Promise<T>;
}

export function createPipedriveHttp(options: PipedriveHttpOptions): PipedriveHttp {
  const http = axios.create({ validateStatus: () => true, timeout: options.timeoutMs ?? 30_000 });
  let current = '';
  const header = (res: AxiosResponse, name: string): number | undefined => {
    const value = res.headers[name] as unknown;
    const n = Number(value);
    return value === undefined || value === null || value === '' || !Number.isFinite(n)
      ? undefined
      : n;
  };

  async function send(operation: PipedriveOperationKey, invoke: () => Promise<unknown>) {
    await options.budget.reserve(options.companyId, operation);
    try {
      return (await invoke()) as AxiosResponse<unknown>;
    } catch (error) {
      // An AxiosError carries the request config, Authorization header included: keep only its code.
      const code = (error as { code?: unknown }).code;
      const timedOut = code === 'ECONNABORTED' || code === 'ETIMEDOUT';
      throw new ApiError({
        provider: 'pipedrive',
        kind: timedOut ? 'timeout' : 'network',
        operation,
        message: timedOut
          ? `Pipedrive did not answer ${operation} in time.`
          : `Could not reach Pipedrive for ${operation} (${typeof code === 'string' ? code : 'network error'}).`,
      });
    }
  }

  return {
    axios: http,
    accessToken: async () => current,
    async call(operation, invoke, schema) {
      current = await options.tokens.get();
      let res = await send(operation, invoke);
      let refreshed = false;
      if (res.status === 401) {
        current = await options.tokens.refresh(current);
        refreshed = true;
        res = await send(operation, invoke);
      }
      const h = PIPEDRIVE_RATE_LIMITS.headers;
      const limit = header(res, h.limit);
      const remaining = header(res, h.remaining);
      const resetSeconds = header(res, h.reset);
      await options.budget.observe(
        options.companyId,
        { limit, remaining, resetSeconds },
        res.status,
      );
      if (res.status < 200 || res.status >= 300) {
        const body = errorEnvelopeSchema.safeParse(res.data);
        const detail = body.success
          ? body.data.error
          : typeof res.data === 'string'
            ? res.data
            : '';
        const code = body.success
          ? (body.data.code ??
            (body.data.errorCode === undefined ? undefined : String(body.data.errorCode)))
          : undefined;
        const retryAfter = header(res, 'retry-after');
        throw new ApiError({
          provider: 'pipedrive',
          kind: 'http',
          operation,
          status: res.status,
          code,
          message: scrub(
            `Pipedrive answered ${operation} with ${res.status}${detail ? `: ${detail}` : ''}`,
            [current],
          ),
          // Reference 9.5: no Retry-After by default; the burst window's reset says when.
          retryAfterMs:
            retryAfter !== undefined
              ? retryAfter * 1000
              : res.status === 429 && resetSeconds !== undefined
                ? resetSeconds * 1000
                : undefined,
          body: res.data,
          refreshed,
        });
      }
      const parsed = schema.safeParse(res.data);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const path = issue?.path.join('.') || '(root)';
        throw new ApiError({
          provider: 'pipedrive',
          kind: 'invalid_response',
          operation,
          code: path,
          message: `Pipedrive answered ${operation} with an unexpected shape at ${path}: ${issue?.message ?? 'does not match'}.`,
        });
      }
      return parsed.data;
    },
  };
}
