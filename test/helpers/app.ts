/**
 * Builds the real app on a fresh test database with a started pg-boss, for `inject()` tests.
 * Logs are captured in memory so tests can read them (e.g. to prove no secret was logged).
 */
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { PgBoss } from 'pg-boss';
import { buildApp } from '../../server/app.ts';
import { loadConfig } from '../../server/config.ts';
import { Keyring } from '../../server/crypto.ts';
import { createLogger } from '../../server/log.ts';
import { freshDatabase, type TestDatabase } from './database.ts';

export interface TestApp {
  app: FastifyInstance;
  database: TestDatabase;
  boss: PgBoss;
  lifecycle: { shuttingDown: boolean };
  keyring: Keyring;
  /** Every log line written so far, raw JSON text. */
  logs: () => string;
  close(): Promise<void>;
}

export async function startTestApp(
  options: { env?: Record<string, string>; beforeReady?: (app: FastifyInstance) => void } = {},
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
  const config = loadConfig(options.env ?? {});
  const keyring = new Keyring([{ id: 'test', key: randomBytes(32) }]);
  const app = await buildApp({ config, db: database.db, boss, logger, lifecycle, keyring });
  options.beforeReady?.(app);
  await app.ready();
  return {
    app,
    database,
    boss,
    lifecycle,
    keyring,
    logs: () => lines.join(''),
    close: async () => {
      await app.close();
      await boss.stop({ graceful: false });
      await database.drop();
    },
  };
}
