/**
 * A fresh database per test file, cloned from the migrated template of the run (so it costs a
 * file copy, not a migration). Use in `beforeAll`; `drop()` in `afterAll`.
 */
import { inject } from 'vitest';
import { type Database, createDatabase as openKysely } from '../../server/db/database.ts';
import { createDatabase, dropDatabase, scratchName, withDatabase } from '../../server/db/server.ts';

export interface TestDatabase {
  url: string;
  name: string;
  db: Database;
  drop(): Promise<void>;
}

/** The server of this run, for tests that need a database of their own making. */
export function serverUrl(): string {
  return inject('postgresUrl');
}

export function emptyDatabaseName(): string {
  return scratchName(inject('databasePrefix'));
}

export async function freshDatabase(): Promise<TestDatabase> {
  const server = inject('postgresUrl');
  const name = scratchName(inject('databasePrefix'));
  await cloneWithRetry(server, name, inject('templateDatabase'));
  const url = withDatabase(server, name);
  const db = openKysely(url, { max: 5 });
  return {
    url,
    name,
    db,
    drop: async () => {
      await db.destroy();
      await dropDatabase(server, name);
    },
  };
}

/**
 * Cloning fails with 55006 ("source database is being accessed by other users") while another
 * file clones the same template at that instant; it is brief, so wait and retry.
 */
async function cloneWithRetry(server: string, name: string, template: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await createDatabase(server, name, template);
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '55006' || attempt >= 50) throw error;
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
  }
}
