/**
 * Test harness: starts a fake on 127.0.0.1:0 and gives tests a `call()` that validates every
 * `/v3` response against the SPEC (spec.ts) and throws on a violation, so every test is also a
 * conformance test.
 */
import { createClock } from '../shared/clock.ts';
import type { SeedInput } from './demo.ts';
import {
  type ConstantContactFake,
  type ConstantContactFakeOptions,
  createConstantContactFake,
} from './server.ts';
import { loadSpecValidator } from './spec.ts';

export const APP = {
  clientId: 'test-client',
  clientSecret: 'test-secret',
  redirectUri: 'http://127.0.0.1:9/callback',
};

export interface CallResult {
  status: number;
  body: unknown;
  headers: Headers;
}

export interface Harness {
  fake: ConstantContactFake;
  base: string;
  /** Access token of a grant minted for `accountId` (default: the approve account). */
  token(accountId?: string, clientId?: string, scopes?: string[]): string;
  call(
    method: string,
    path: string,
    init?: { token?: string; body?: unknown; headers?: Record<string, string> },
  ): Promise<CallResult>;
  close(): Promise<void>;
}

/** Pinned clock at a round time so rate-limit windows are predictable. */
export const T0 = Date.UTC(2026, 10, 26, 9, 0, 0);

export async function startHarness(
  options: Omit<ConstantContactFakeOptions, 'seed'> & { seed?: SeedInput } = {},
): Promise<Harness> {
  const clock = options.clock ?? createClock();
  if (!options.clock) clock.set(T0);
  const fake = createConstantContactFake({
    seed: 'empty',
    apps: [
      APP,
      { clientId: 'other-client', clientSecret: 'other-secret', redirectUri: APP.redirectUri },
    ],
    ...options,
    clock,
    rateLimits: { enabled: false, ...options.rateLimits },
  });
  const base = await fake.listen(0);
  const spec = loadSpecValidator();
  const defaultTokens = new Map<string, { token: string; exp: number; grantId: string }>();
  const token: Harness['token'] = (accountId, clientId = APP.clientId, scopes) => {
    const key = `${accountId}|${clientId}|${scopes?.join(' ')}`;
    const known = defaultTokens.get(key);
    // Access tokens live 24 h of fake-clock time (§3.2); tests move the clock past that.
    // A reset swaps the store, and with it every grant.
    const live = known && fake.store.grants.get(known.grantId)?.revoked === false;
    if (known && live && !scopes && known.exp > clock.now() + 60_000) return known.token;
    const minted = fake.control.mintToken({ clientId, accountId, scopes });
    defaultTokens.set(key, {
      token: minted.access_token,
      exp: clock.now() + 86_400_000,
      grantId: minted.grant_id,
    });
    return minted.access_token;
  };
  return {
    fake,
    base,
    token,
    async call(method, path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      const bearer = init.token ?? token();
      if (bearer) headers.authorization = `Bearer ${bearer}`;
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      const res = await fetch(`${base}${path}`, {
        method,
        headers,
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
      });
      const text = await res.text();
      const csv = res.headers.get('content-type')?.startsWith('text/csv') ?? false;
      const body: unknown = text === '' ? undefined : csv ? text : JSON.parse(text);
      if (path.startsWith('/v3/')) {
        const problems = spec.check(method, path, res.status, body);
        if (problems.length > 0) {
          throw new Error(`SPEC violation:\n${problems.join('\n')}\n${text.slice(0, 500)}`);
        }
      }
      return { status: res.status, body, headers: res.headers };
    },
    close: () => fake.close(),
  };
}

/** Narrowing helper for JSON bodies in tests. */
export function obj(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object')
    throw new Error(`not an object: ${String(value)}`);
  return value as Record<string, unknown>;
}

export function arr(value: unknown): Record<string, unknown>[] {
  if (!Array.isArray(value)) throw new Error(`not an array: ${JSON.stringify(value)}`);
  return value as Record<string, unknown>[];
}
