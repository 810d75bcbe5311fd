/**
 * buildApp(deps) → a Fastify instance, ready for `inject()` or `listen()`. No process.env, no
 * listen, no signals here: main.ts owns the process, tests build the app with their own deps.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { PgBoss } from 'pg-boss';
import type { CcPriority } from './api/cc-policy.ts';
import type { TokenSource } from './api/token-source.ts';
import type { Config } from './config.ts';
import type { CcClient } from './constant-contact/client.ts';
import type { Keyring } from './crypto.ts';
import type { Database } from './db/database.ts';
import { errorsPlugin } from './http/plugins/errors.ts';
import { engagementRoutes } from './http/routes/engagement.ts';
import { healthRoutes } from './http/routes/health.ts';
import { oauthRoutes } from './http/routes/oauth.ts';
import { panelRoutes } from './http/routes/panel.ts';
import { personRoutes } from './http/routes/person.ts';
import { staticRoutes } from './http/routes/static.ts';
import { webhookRoutes } from './http/routes/webhooks.ts';
import type { Logger } from './log.ts';
import type { PipedriveClient } from './pipedrive/client.ts';
import type { InstallApi } from './pipedrive/install.ts';

export interface AppDeps {
  config: Readonly<Config>;
  db: Database;
  boss: PgBoss;
  logger: Logger;
  /** Seals and opens secrets at rest (tokens, webhook passwords). */
  keyring: Keyring;
  /** Where browsers and Pipedrive reach this app (config.publicUrl, or the local URL). */
  publicUrl: string;
  /** The provider calls the HTTP layer makes itself (installation, account look-up). */
  apis: AppApis;
  /** Flipped by main.ts when shutdown begins, so /readyz turns away new traffic. */
  lifecycle: { shuttingDown: boolean };
}

export interface CompanyClients {
  pipedrive: PipedriveClient;
  cc: CcClient;
}

export interface AppApis {
  /** Clients acting for one company (its installation's and CC connection's tokens). */
  forCompany(companyId: number, priority: CcPriority): Promise<CompanyClients>;
  /** `companyId` when known; a fresh token's company is learnt from /v1/users/me. */
  pipedriveInstall(apiDomain: string, tokens: TokenSource, companyId?: number): InstallApi;
  ccAccount(tokens: TokenSource): { summary(): Promise<{ accountId: string; name: string }> };
}

/** Webhook and panel bodies are small; anything far larger is refused before parsing. */
const BODY_LIMIT = 256 * 1024;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    // Let requests in flight finish on close(); refuse new connections.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
  // Responses that finish after close() began carry `Connection: close`, so keep-alive clients
  // let go and close() does not wait for their idle sockets (Fastify keeps them for 72 s).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (_request, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  await app.register(errorsPlugin);
  await app.register(async (scope) => healthRoutes(scope, deps));
  await app.register(async (scope) => webhookRoutes(scope, deps));
  await app.register(async (scope) => oauthRoutes(scope, deps));
  await app.register(async (scope) => panelRoutes(scope, deps));
  await app.register(async (scope) => personRoutes(scope, deps));
  await app.register(async (scope) => engagementRoutes(scope, deps));
  await app.register(async (scope) => staticRoutes(scope));
  return app;
}
