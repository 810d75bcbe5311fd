/**
 * Vitest global setup for the integration tier: one PostgreSQL server for the whole run (the
 * one in DATABASE_URL, or an embedded one in a temporary folder), and one migrated template
 * database, pg-boss schema included, that each test file clones (test/helpers/database.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PgBoss } from 'pg-boss';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../server/db/migrate.ts';
import {
  createDatabase,
  dropDatabase,
  openPostgresServer,
  scratchName,
} from '../../server/db/server.ts';
import { declareQueues } from '../../server/jobs/queues.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string;
    templateDatabase: string;
    databasePrefix: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await openPostgresServer({
    databaseUrl: process.env.DATABASE_URL,
    dataDir: mkdtempSync(join(tmpdir(), 'pdcc-test-pg-')),
    ephemeral: true,
    log: () => {},
  });
  const prefix = scratchName('t');
  const template = `${prefix}_template`;
  const templateUrl = await createDatabase(server.url, template);
  await migrate(templateUrl);
  const boss = new PgBoss({ connectionString: templateUrl, schedule: false, supervise: false });
  boss.on('error', () => {});
  await boss.start();
  await declareQueues(boss);
  await boss.stop({ graceful: false });

  project.provide('postgresUrl', server.url);
  project.provide('templateDatabase', template);
  project.provide('databasePrefix', prefix);

  return async () => {
    // Drop what this run created, including databases of test files that crashed.
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    const { rows } = await client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${prefix}%`],
    );
    await client.end();
    for (const { datname } of rows) await dropDatabase(server.url, datname);
    await server.stop();
  };
}
