/**
 * What every route group of the fake receives: the store, the clock, the authenticated
 * request context and the activity runner. Kept apart from server.ts so route files do not
 * import the server.
 */
import type { FastifyRequest } from 'fastify';
import type { FakeClock } from '../shared/clock.ts';
import { CcHttpError, validationError } from './errors.ts';
import type { AccountStore, CcStore, Grant } from './store.ts';

export interface AuthContext {
  clientId: string;
  accountId: string;
  grant: Grant;
}

export interface ActivityQueue {
  /** Runs every activity whose time has come (fake clock). */
  processDue(account: AccountStore): void;
}

export interface FakeContext {
  store: CcStore;
  clock: FakeClock;
  activities: ActivityQueue;
  authOf: WeakMap<object, AuthContext>;
}

export function accountOf(ctx: FakeContext, request: FastifyRequest): AccountStore {
  const auth = ctx.authOf.get(request);
  if (!auth)
    throw new CcHttpError(401, { error_key: 'unauthorized', error_message: 'Unauthorized' });
  const account = ctx.store.account(auth.accountId);
  ctx.activities.processDue(account);
  return account;
}

export type Query = Record<string, string | string[] | undefined>;

export function queryOf(request: FastifyRequest): Query {
  return (request.query ?? {}) as Query;
}

/** A single value; a repeated parameter keeps its first value. */
export function one(query: Query, key: string): string | undefined {
  const v = query[key];
  return Array.isArray(v) ? v[0] : v;
}

/** Values of a CSV and/or repeated parameter. */
export function many(query: Query, key: string): string[] {
  const v = query[key];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v])
    .flatMap((s) => s.split(','))
    .map((s) => s.trim())
    .filter(Boolean);
}

export function limitOf(query: Query, max: number, fallback: number, label = 'limit'): number {
  const raw = one(query, label);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw validationError([`${label} must be between 1 and ${max}.`]);
  }
  return n;
}

export function dateOf(query: Query, key: string): number | undefined {
  const raw = one(query, key);
  if (raw === undefined) return undefined;
  const ms = Date.parse(raw);
  if (Number.isNaN(ms)) throw validationError([`${key} is not a valid ISO-8601 date-time.`]);
  return ms;
}

export function boolOf(query: Query, key: string): boolean {
  const raw = one(query, key);
  if (raw === undefined) return false;
  if (raw !== 'true' && raw !== 'false')
    throw validationError([`${key} does not have a valid value`]);
  return raw === 'true';
}

/** Opaque cursors (§4.3): the position plus the original filters, base64url JSON. */
export function encodeCursor(position: number, query: Query): string {
  const { cursor: _drop, ...rest } = query;
  return Buffer.from(JSON.stringify({ p: position, q: rest })).toString('base64url');
}

export function decodeCursor(raw: string): { position: number; query: Query } {
  try {
    const parsed = JSON.parse(Buffer.from(raw, 'base64url').toString()) as { p: number; q: Query };
    if (typeof parsed.p !== 'number') throw new Error('bad cursor');
    return { position: parsed.p, query: parsed.q };
  } catch {
    throw validationError(['cursor is not valid.']);
  }
}

/** Resolves `?cursor=` into the position and filters of the first request. */
export function pageQuery(request: FastifyRequest): { position: number; query: Query } {
  const query = queryOf(request);
  const cursor = one(query, 'cursor');
  return cursor === undefined ? { position: 0, query } : decodeCursor(cursor);
}
