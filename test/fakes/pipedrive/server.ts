/**
 * `createPipedriveFake(options)`: the stateful Pipedrive fake as a value. Tests use it
 * in-process (listen on 127.0.0.1:0); main.ts wraps it as the standalone server.
 */
import formbody from '@fastify/formbody';
import Fastify, { type FastifyInstance } from 'fastify';
import { PIPEDRIVE_APP_SCOPES, PIPEDRIVE_WEBHOOKS } from '../../../server/pipedrive/provider.ts';
import { createClock, type FakeClock } from '../shared/clock.ts';
import { FaultRegistry } from '../shared/faults.ts';
import { createRng } from '../shared/prng.ts';
import { RequestLog } from '../shared/request-log.ts';
import { callerOf, errorBody, type FakeContext, installEnvelope } from './api.ts';
import { createControl, type PipedriveControl, type SeedInput } from './control.ts';
import { registerControlRoutes } from './control-routes.ts';
import { OAuthServer } from './oauth.ts';
import {
  type Behaviour,
  DEFAULT_BEHAVIOUR,
  DEFAULT_RATE_LIMITS,
  type OAuthAppOptions,
  type RateLimitConfig,
} from './options.ts';
import { RateLimiter } from './rate-limit.ts';
import { registerAccountRoutes } from './routes/account.ts';
import {
  defaultKeyString,
  type KeyStringGenerator,
  registerActivityRoutes,
} from './routes/activities.ts';
import { registerFieldRoutes } from './routes/fields.ts';
import { registerNoteRoutes } from './routes/notes.ts';
import { registerPersonRoutes } from './routes/persons.ts';
import { registerRemovedRoutes } from './routes/removed.ts';
import { Store } from './store.ts';
import { WebhookDispatcher } from './webhooks.ts';

export interface PipedriveFakeOptions {
  /** Initial population: 'demo' (default), 'empty', or a SeedSpec. */
  seed?: SeedInput;
  clock?: FakeClock;
  rateLimits?: Partial<RateLimitConfig>;
  behaviour?: Partial<Behaviour>;
  /** Multiplies the webhook retry schedule (3/30/150 s); 0.001 runs it in milliseconds. */
  webhookTimeScale?: number;
  /** Delivery timeout (reference 7.6: 10 s). */
  webhookTimeoutMs?: number;
  /** OAuth apps to register. */
  apps?: OAuthAppOptions[];
  /** activityTypes `key_string` generator (reference 8.2 UNCONFIRMED); pluggable for tests. */
  keyString?: KeyStringGenerator;
  /** Seed of the fake's own PRNG (custom field keys of created fields). */
  rngSeed?: string | number;
}

export interface PipedriveFake {
  readonly app: FastifyInstance;
  /** `http://127.0.0.1:PORT` once listening; also the `api_domain` of tokens. */
  readonly baseUrl: string;
  listen(port?: number): Promise<string>;
  close(): Promise<void>;
  readonly store: Store;
  readonly clock: FakeClock;
  readonly faults: FaultRegistry;
  readonly log: RequestLog;
  readonly webhooks: WebhookDispatcher;
  readonly oauth: OAuthServer;
  readonly control: PipedriveControl;
}

export function createPipedriveFake(options: PipedriveFakeOptions = {}): PipedriveFake {
  const clock = options.clock ?? createClock();
  const store = new Store();
  const behaviour: Behaviour = { ...DEFAULT_BEHAVIOUR, ...options.behaviour };
  const limiter = new RateLimiter(clock, { ...DEFAULT_RATE_LIMITS, ...options.rateLimits });
  const webhooks = new WebhookDispatcher(
    clock,
    () => behaviour,
    options.webhookTimeScale ?? 1,
    options.webhookTimeoutMs ?? PIPEDRIVE_WEBHOOKS.timeoutSeconds * 1000,
  );
  let baseUrl = '';
  const fx: FakeContext = {
    store,
    clock,
    behaviour,
    limiter,
    webhooks,
    rng: createRng(options.rngSeed ?? 'pipedrive-fake'),
    baseUrl: () => baseUrl,
  };
  const app = Fastify({ logger: false });
  const faults = new FaultRegistry();
  const log = new RequestLog(clock);
  const oauth = new OAuthServer(fx);
  for (const a of options.apps ?? []) {
    oauth.registerApp({
      clientId: a.clientId,
      clientSecret: a.clientSecret,
      redirectUri: a.redirectUri,
      callbackUrl: a.callbackUrl ?? a.redirectUri,
      scopes: a.scopes ?? [...PIPEDRIVE_APP_SCOPES],
    });
  }
  const control = createControl({ fx, oauth, faults, log, defaultSeed: options.seed ?? 'demo' });

  app.register(formbody);
  installEnvelope(app);
  faults.install(app, (status) =>
    errorBody(status, status >= 500 ? 'Internal Server Error' : `Fault injected (${status})`),
  );
  log.install(app, (request) => {
    const caller = callerOf(request);
    if (!caller) return {};
    return {
      tenant: String(caller.company.company.id),
      ...(caller.clientId ? { clientId: caller.clientId } : {}),
    };
  });
  app.register(async (api) => {
    oauth.register(api);
    registerAccountRoutes(api, fx);
    registerPersonRoutes(api, fx);
    registerFieldRoutes(api, fx);
    registerActivityRoutes(api, fx, () => options.keyString ?? defaultKeyString);
    registerNoteRoutes(api, fx);
    registerRemovedRoutes(api);
    registerControlRoutes(api, fx, control);
  });

  return {
    app,
    get baseUrl() {
      return baseUrl;
    },
    async listen(port = 0) {
      await app.listen({ host: '127.0.0.1', port });
      const address = app.server.address();
      if (!address || typeof address === 'string') throw new Error('fake did not bind a TCP port');
      baseUrl = `http://127.0.0.1:${address.port}`;
      return baseUrl;
    },
    async close() {
      webhooks.reset();
      await app.close();
    },
    store,
    clock,
    faults,
    log,
    webhooks,
    oauth,
    control,
  };
}
