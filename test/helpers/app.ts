/**
 * Builds the real app on a fresh test database with a started pg-boss, for `inject()` tests.
 * Logs are captured in memory so tests can read them (e.g. to prove no secret was logged).
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { PgBoss } from 'pg-boss';
import { createApis } from '../../server/apis.ts';
import { type AppDeps, buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { Keyring } from '../../server/crypto.ts';
import { ensureCompany } from '../../server/db/companies.repo.ts';
import { freePort } from '../../server/db/embedded.ts';
import { createLogger } from '../../server/log.ts';
import { freshDatabase, type TestDatabase } from './database.ts';

export interface TestApp {
  app: FastifyInstance;
  database: TestDatabase;
  boss: PgBoss;
  lifecycle: { shuttingDown: boolean };
  keyring: Keyring;
  publicUrl: string;
  appDeps: AppDeps;
  /** Every log line written so far, raw JSON text. */
  logs: () => string;
  close(): Promise<void>;
}

export async function startTestApp(
  options: {
    env?: Record<string, string>;
    beforeReady?: (app: FastifyInstance) => void;
    /** Listen on 127.0.0.1 (a free port), e.g. so a fake can deliver webhooks to the app. */
    listen?: boolean;
    /** The port to listen on (chosen up front when fakes must know the callback URLs). */
    port?: number;
  } = {},
): Promise<TestApp> {
  const database = await freshDatabase();
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: 'trace', stream });
  const boss = new PgBoss({
    connectionString: database.url,
    schedule: false,
    supervise: false,
    max: 3,
  });
  boss.on('error', (error) => logger.error({ err: error }, 'job queue error'));
  await boss.start();
  const lifecycle = { shuttingDown: false };
  const port = options.port ?? (await freePort());
  const publicUrl = `http://127.0.0.1:${port}`;
  const config = loadConfig({ ...options.env, PUBLIC_URL: publicUrl });
  const keyring = new Keyring(
    config.encryptionKeys.length > 0
      ? config.encryptionKeys
      : [{ id: 'test', key: randomBytes(32) }],
  );
  const appDeps: AppDeps = {
    config,
    db: database.db,
    boss,
    logger,
    lifecycle,
    keyring,
    publicUrl,
    apis: createApis(database.db, config, keyring),
  };
  const app = await buildApp(appDeps);
  options.beforeReady?.(app);
  await app.ready();
  if (options.listen) await app.listen({ host: '127.0.0.1', port });
  return {
    app,
    database,
    boss,
    lifecycle,
    keyring,
    publicUrl,
    appDeps,
    logs: () => lines.join(''),
    close: async () => {
      await app.close();
      await boss.stop({ graceful: false });
      await database.drop();
    },
  };
}

/**
 * The app for the panel routes, with no provider behind it: Pipedrive's JWT secret set, and
 * the companies given installed (no tokens: nothing here calls Pipedrive).
 */
export async function startPanelApp(
  jwtSecret: string,
  companies: readonly { id: number; name?: string }[],
): Promise<TestApp> {
  const t = await startTestApp({
    env: {
      PIPEDRIVE_CLIENT_ID: 'pd',
      PIPEDRIVE_CLIENT_SECRET: 'pd-client-secret',
      PIPEDRIVE_JWT_SECRET: jwtSecret,
      ENCRYPTION_KEYS: `k:${randomBytes(32).toString('base64')}`,
    },
  });
  for (const { id, name } of companies) {
    await ensureCompany(t.database.db, t.keyring, id);
    await t.database.db
      .insertInto('installations')
      .values({ company_id: id, user_id: 1, company_name: name, api_domain: 'http://127.0.0.1:1' })
      .execute();
  }
  return t;
}
