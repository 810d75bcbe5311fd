/**
 * `createConstantContactFake(options)`: the Constant Contact V3 fake as a Fastify server on
 * 127.0.0.1, with the API under `/v3`, the OAuth server under `/oauth2/default/v1/` and the
 * control surface under `/__fake/`. Order of checks for `/v3` calls, as at CC's gateway:
 * faults (onRequest) → bearer token (401 object) → scope (403) → rate limit (429 object) → route.
 */
import formbody from '@fastify/formbody';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { ccApi, ccOAuth } from '../../../server/constant-contact/provider.ts';
import { createClock, type FakeClock } from '../shared/clock.ts';
import { FaultRegistry } from '../shared/faults.ts';
import { RequestLog } from '../shared/request-log.ts';
import { ActivityRunner } from './activities.ts';
import type { Behaviour } from './behaviour.ts';
import type { AuthContext, FakeContext } from './context.ts';
import { type Control, createControl } from './control.ts';
import { registerControlRoutes } from './control-routes.ts';
import { type SeedInput, seedStore } from './demo.ts';
import { CcHttpError, forbidden, unauthorized } from './errors.ts';
import { OAuthServer } from './oauth.ts';
import { RateLimiter, type RateLimitOptions } from './rate-limit.ts';
import { registerBulkRoutes } from './routes/bulk.ts';
import { registerContactRoutes } from './routes/contacts.ts';
import { registerListRoutes } from './routes/lists.ts';
import { registerReportingRoutes } from './routes/reporting.ts';
import { registerTagRoutes } from './routes/tags.ts';
import { CcStore, type OAuthApp } from './store.ts';

export interface RegisteredApp {
  clientId: string;
  clientSecret: string;
  redirectUri: string | string[];
  refreshTokenMode?: OAuthApp['refreshTokenMode'];
}

export interface ConstantContactFakeOptions {
  /** `'demo'` (default), `'empty'`, or a seed spec (see demo.ts / README). */
  seed?: SeedInput;
  clock?: FakeClock;
  /** Real numbers by default (§10); `{ enabled: false }` for benchmarks. */
  rateLimits?: Partial<RateLimitOptions>;
  /** Bulk activity processing time in fake-clock ms; 0 (default) completes right away. */
  activityDelayMs?: number;
  apps?: RegisteredApp[];
  /** Switches for the UNCONFIRMED points (behaviour.ts `Behaviour`). */
  behaviour?: Partial<Behaviour>;
  /** Request-log capacity. */
  logCapacity?: number;
}

export interface ConstantContactFake {
  readonly app: FastifyInstance;
  /** The current store (a reset replaces it). */
  readonly store: CcStore;
  readonly clock: FakeClock;
  readonly faults: FaultRegistry;
  readonly log: RequestLog;
  readonly limiter: RateLimiter;
  readonly oauth: OAuthServer;
  readonly activities: ActivityRunner;
  readonly control: Control;
  /** Every route the fake serves (method + URL template), for coverage checks. */
  readonly routes: ReadonlyArray<{ method: string; url: string }>;
  /** `http://127.0.0.1:<port>` once listening. */
  readonly baseUrl: string;
  listen(port?: number): Promise<string>;
  close(): Promise<void>;
}

function scopeFor(path: string): string {
  if (
    path.startsWith('/v3/emails') ||
    /^\/v3\/reports\/(email_reports|summary_reports|stats)/.test(path)
  ) {
    return ccOAuth.scopes.campaignData;
  }
  if (path.startsWith('/v3/account')) return ccOAuth.scopes.accountRead;
  return ccOAuth.scopes.contactData;
}

export function createConstantContactFake(
  options: ConstantContactFakeOptions = {},
): ConstantContactFake {
  const clock = options.clock ?? createClock();
  const seed = options.seed ?? 'demo';
  const ctx: FakeContext = {
    store: new CcStore(typeof seed === 'string' ? seed : 'custom'),
    clock,
    activities: { processDue: () => undefined },
    authOf: new WeakMap<object, AuthContext>(),
  };
  const runner = new ActivityRunner(ctx, clock, options.activityDelayMs ?? 0);
  ctx.activities = runner;
  const limiter = new RateLimiter(
    clock,
    options.rateLimits,
    () => ctx.store.behaviour.retryAfterHeader,
  );
  const oauth = new OAuthServer(ctx, clock);
  const faults = new FaultRegistry();
  const log = new RequestLog(clock, options.logCapacity);
  const tokenClientOf = new WeakMap<object, string>();

  const app = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
  const routes: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat())
      if (method !== 'HEAD') routes.push({ method, url: route.url });
  });
  faults.install(app, (status) =>
    status === 401 || status === 429 || status === 403
      ? { error_key: `fault.${status}`, error_message: 'Injected fault' }
      : [{ error_key: `fault.${status}`, error_message: 'Injected fault' }],
  );
  log.install(app, (request) => {
    const auth = ctx.authOf.get(request as object);
    if (auth) return { clientId: auth.clientId, tenant: auth.accountId };
    const clientId = tokenClientOf.get(request as object);
    return clientId ? { clientId } : {};
  });
  app.register(formbody);
  app.setErrorHandler((error: FastifyError | CcHttpError, request, reply) => {
    if (error instanceof CcHttpError) {
      for (const [name, value] of Object.entries(error.headers)) reply.header(name, value);
      // §11: reporting endpoints answer with a single `StatsError` object, not an array.
      const body =
        request.url.startsWith('/v3/reports/') && Array.isArray(error.body)
          ? error.body[0]
          : error.body;
      return reply.code(error.status).send(body);
    }
    const status = error.statusCode ?? 500;
    const key =
      status === 415
        ? 'general.unsupported_media_type'
        : status >= 500
          ? 'server_error'
          : 'general.bad_request';
    return reply.code(status).send([{ error_key: key, error_message: error.message }]);
  });
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send([
      {
        error_key: 'general.not_found',
        error_message: `No route for ${request.method} ${request.url.split('?')[0]}`,
      },
    ]);
  });

  const resetState = (next: SeedInput): void => {
    runner.clear();
    limiter.reset();
    ctx.store = new CcStore(typeof next === 'string' ? next : 'custom');
    ctx.store.behaviour = { ...ctx.store.behaviour, ...options.behaviour };
    for (const a of options.apps ?? []) {
      ctx.store.registerApp({
        clientId: a.clientId,
        clientSecret: a.clientSecret,
        redirectUris: Array.isArray(a.redirectUri) ? a.redirectUri : [a.redirectUri],
        refreshTokenMode: a.refreshTokenMode ?? 'rotating',
      });
    }
    seedStore(ctx.store, next);
  };
  resetState(seed);

  oauth.register(app, limiter, tokenClientOf);

  app.register(
    async (api) => {
      api.addHook('onRequest', async (request: FastifyRequest) => {
        const match = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '');
        if (!match?.[1]) throw unauthorized();
        const { grant } = oauth.verify(match[1]);
        ctx.authOf.set(request, { clientId: grant.clientId, accountId: grant.accountId, grant });
        const path = request.url.split('?')[0] ?? '';
        if (!grant.scopes.includes(scopeFor(path)))
          throw forbidden(`The token lacks the ${scopeFor(path)} scope.`);
        limiter.takeApi(grant.clientId);
      });
      registerContactRoutes(api, ctx);
      registerListRoutes(api, ctx, runner);
      registerBulkRoutes(api, ctx, runner);
      registerTagRoutes(api, ctx, runner);
      registerReportingRoutes(api, ctx);
    },
    { prefix: ccApi.basePath },
  );

  const control = createControl({
    ctx,
    clock,
    limiter,
    oauth,
    runner,
    faults,
    log,
    reset: resetState,
    defaultSeed: seed,
  });
  registerControlRoutes(app, control);

  let baseUrl = '';
  let timer: NodeJS.Timeout | undefined;
  return {
    app,
    get store() {
      return ctx.store;
    },
    clock,
    faults,
    log,
    limiter,
    oauth,
    activities: runner,
    control,
    routes,
    get baseUrl() {
      return baseUrl;
    },
    async listen(port = 0) {
      await app.listen({ host: '127.0.0.1', port });
      const address = app.server.address();
      if (address === null || typeof address === 'string')
        throw new Error('unexpected server address');
      baseUrl = `http://127.0.0.1:${address.port}`;
      // Moves delayed activities along even when nobody polls (fake-clock driven).
      timer = setInterval(() => runner.processAll(), 100);
      timer.unref();
      return baseUrl;
    },
    async close() {
      if (timer) clearInterval(timer);
      await app.close();
    },
  };
}
