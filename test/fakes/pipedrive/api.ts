/**
 * The API layer every route goes through: authentication (Bearer or x-api-token, reference
 * 2.3), scope enforcement (3.7), rate limiting (9), and Pipedrive's envelope for answers and
 * errors (2.5). Routes are declared with the spec's path template, which also keys the token
 * cost and scope table in server/pipedrive/provider.ts.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  PIPEDRIVE_API,
  PIPEDRIVE_ERRORS,
  PIPEDRIVE_OPERATIONS,
  PIPEDRIVE_RATE_LIMITS,
  type PipedriveOperation,
} from '../../../server/pipedrive/provider.ts';
import type { FakeClock } from '../shared/clock.ts';
import type { Rng } from '../shared/prng.ts';
import type { User } from './model.ts';
import type { Behaviour } from './options.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { AccessToken, CompanyStore, Store } from './store.ts';
import type { WebhookDispatcher } from './webhooks.ts';

/** What every route module needs from the fake. */
export interface FakeContext {
  store: Store;
  clock: FakeClock;
  behaviour: Behaviour;
  limiter: RateLimiter;
  webhooks: WebhookDispatcher;
  rng: Rng;
  baseUrl(): string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** The documented failure envelope (reference 2.5); 401/403/429 add `errorCode`. */
export function errorBody(
  status: number,
  message: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    success: false,
    error: message,
    ...([401, 403, 429].includes(status) ? { errorCode: status } : {}),
    ...(status >= 500 ? { code: 'ERR_UNKNOWN' } : {}),
    data: null,
    additional_data: null,
    ...extra,
  };
}

export function badRequest(
  message: string,
  hint = 'Check the request body and parameters.',
): ApiError {
  return new ApiError(400, message, { error_info: hint });
}

export function notFound(what: string): ApiError {
  return new ApiError(404, `${what} not found`, {
    error_info: 'Please check developers.pipedrive.com',
  });
}

export interface Caller {
  company: CompanyStore;
  user: User;
  token: AccessToken | null;
  clientId: string | null;
  scopes: readonly string[];
}

/** Caller per request, read by the request log. */
const callers = new WeakMap<FastifyRequest, Caller>();
export function callerOf(request: unknown): Caller | undefined {
  return callers.get(request as FastifyRequest);
}

export type Query = Record<string, string | undefined>;

export interface Answer {
  status?: number;
  body: unknown;
  /** Pre-serialised JSON, sent as is instead of `body` (list pages, see format.ts). */
  raw?: string;
}

export type Handler = (
  request: FastifyRequest,
  caller: Caller,
  query: Query,
) => Answer | Promise<Answer>;

export function ok(data: unknown, additional?: unknown): Answer {
  return {
    body:
      additional === undefined
        ? { success: true, data }
        : { success: true, data, additional_data: additional },
  };
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Registers one operation. `specPath` is the template as in the spec (`/persons/{id}`); v1
 * routes answer on both `/v1` and `/api/v1` (reference 2.2).
 */
export function route(
  app: FastifyInstance,
  fx: FakeContext,
  version: 'v1' | 'v2',
  method: Method,
  specPath: string,
  handler: Handler,
): void {
  const key = `${version} ${method} ${specPath}`;
  const op: PipedriveOperation | undefined = (
    PIPEDRIVE_OPERATIONS as Record<string, PipedriveOperation>
  )[key];
  if (!op) throw new Error(`no provider entry for ${key}`);
  const fastifyPath = specPath.replace(/\{(\w+)\}/g, ':$1');
  const prefixes = version === 'v1' ? PIPEDRIVE_API.v1Prefixes : [PIPEDRIVE_API.v2Prefix];
  const isSearch = specPath.includes('search');
  const isWebhooks = specPath.startsWith('/webhooks');
  const run = async (request: FastifyRequest, reply: FastifyReply) => {
    try {
      const caller = authenticate(fx, request);
      callers.set(request, caller);
      checkScopes(fx, caller, op, isWebhooks, method);
      if (fx.limiter.config.enabled) applyRateLimit(fx, reply, caller, op, isSearch);
      const answer = await handler(request, caller, flatQuery(request.query));
      reply.code(answer.status ?? 200);
      if (answer.raw !== undefined)
        return reply.type('application/json; charset=utf-8').send(answer.raw);
      return reply.send(answer.body);
    } catch (err) {
      if (err instanceof ApiError) {
        return reply.code(err.status).send(errorBody(err.status, err.message, err.extra));
      }
      throw err;
    }
  };
  for (const prefix of prefixes)
    app.route({ method, url: `${prefix}${fastifyPath}`, handler: run });
}

function flatQuery(query: unknown): Query {
  const out: Query = {};
  if (query && typeof query === 'object') {
    for (const [k, v] of Object.entries(query))
      out[k] = Array.isArray(v) ? String(v[0]) : v === undefined ? undefined : String(v);
  }
  return out;
}

function authenticate(fx: FakeContext, request: FastifyRequest): Caller {
  const header = request.headers.authorization;
  const apiToken = request.headers['x-api-token'] ?? flatQuery(request.query).api_token;
  if (typeof apiToken === 'string' && apiToken && !header) {
    for (const company of fx.store.companies.values()) {
      for (const user of company.users.values()) {
        if (user.apiToken === apiToken)
          return { company, user, token: null, clientId: null, scopes: [] };
      }
    }
    throw new ApiError(401, PIPEDRIVE_ERRORS.unauthorized);
  }
  if (!header) throw new ApiError(401, PIPEDRIVE_ERRORS.unauthorized);
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m) throw new ApiError(400, PIPEDRIVE_ERRORS.malformedAuthorization);
  const token = fx.store.accessTokens.get(m[1] as string);
  if (!token || token.revoked || token.expiresAt <= fx.clock.now())
    throw new ApiError(401, PIPEDRIVE_ERRORS.invalidToken);
  const company = fx.store.company(token.companyId);
  const user = company?.users.get(token.userId);
  if (!company || !user) throw new ApiError(401, PIPEDRIVE_ERRORS.invalidToken);
  return { company, user, token, clientId: token.clientId, scopes: token.scopes };
}

function checkScopes(
  fx: FakeContext,
  caller: Caller,
  op: PipedriveOperation,
  isWebhooks: boolean,
  method: Method,
): void {
  // API tokens carry the user's full permissions; scopes are an OAuth concept (reference 3.7).
  if (!caller.token) return;
  let accepted: readonly string[] = op.scopes;
  if (isWebhooks && fx.behaviour.webhookScopes === 'admin-or-webhooks') {
    accepted = [
      ...op.scopes,
      method === 'GET' ? 'webhooks:read' : 'webhooks:full',
      'webhooks:full',
    ];
  }
  const matched = accepted.filter((s) => caller.scopes.includes(s));
  if (matched.length === 0) throw new ApiError(403, PIPEDRIVE_ERRORS.scopeMismatch);
  // The admin scope only works when the installing user is an admin (reference 3.7).
  if (matched.every((s) => s === 'admin') && !caller.user.isAdmin) {
    throw new ApiError(403, PIPEDRIVE_ERRORS.scopeMismatch);
  }
}

function applyRateLimit(
  fx: FakeContext,
  reply: FastifyReply,
  caller: Caller,
  op: PipedriveOperation,
  isSearch: boolean,
): void {
  const decision = fx.limiter.take({
    tokenKey: caller.token?.token ?? `api:${caller.user.apiToken}`,
    oauth: caller.token !== null,
    search: isSearch,
    companyId: caller.company.company.id,
    plan: caller.company.company.plan,
    seats: caller.company.company.seats,
    cost: op.cost,
  });
  const h = PIPEDRIVE_RATE_LIMITS.headers;
  reply.header(h.limit, String(decision.limit));
  reply.header(h.remaining, String(decision.remaining));
  reply.header(h.reset, String(decision.resetSeconds));
  if (!decision.ok) {
    if (fx.behaviour.retryAfterHeader) reply.header('retry-after', String(decision.resetSeconds));
    throw new ApiError(429, PIPEDRIVE_ERRORS.overLimit);
  }
}

/** Shared hooks: correlation id on every answer, envelope for 404 and parse errors. */
export function installEnvelope(app: FastifyInstance): void {
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header(PIPEDRIVE_RATE_LIMITS.headers.correlationId, randomUUID());
    return payload;
  });
  app.setNotFoundHandler((request, reply) => {
    reply
      .code(404)
      .send(errorBody(404, `Unknown method ${request.method} ${request.url.split('?')[0]}`));
  });
  app.setErrorHandler((err: { statusCode?: number; message: string }, _request, reply) => {
    const status =
      err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    reply
      .code(status)
      .send(errorBody(status, status === 500 ? 'Internal Server Error' : err.message));
  });
}

/** Parses an integer path or query value; v2 is strict (reference 2.6). */
export function intParam(value: string | undefined, name: string): number {
  if (value === undefined || !/^\d+$/.test(value))
    throw badRequest(`Parameter '${name}' must be an integer`);
  return Number(value);
}

export function boolParam(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw badRequest(`Parameter '${name}' must be a boolean`);
}

export function limitParam(value: string | undefined): number {
  if (value === undefined) return PIPEDRIVE_API.defaultLimit;
  const n = intParam(value, 'limit');
  if (n < 1 || n > PIPEDRIVE_API.maxLimit)
    throw badRequest(`Parameter 'limit' must be between 1 and ${PIPEDRIVE_API.maxLimit}`);
  return n;
}

export function timeParam(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms))
    throw badRequest(`Parameter '${name}' must be an RFC 3339 date-time`);
  return ms;
}

export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string | undefined): T | undefined {
  if (cursor === undefined) return undefined;
  try {
    return JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as T;
  } catch {
    throw badRequest('Invalid cursor');
  }
}

export function bodyObject(request: FastifyRequest): Record<string, unknown> {
  const body = request.body;
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw badRequest('Request body must be a JSON object');
  return body as Record<string, unknown>;
}
