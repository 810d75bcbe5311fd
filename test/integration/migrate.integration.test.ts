import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, migrate, readMigrations } from '../../server/db/migrate.ts';
import { createDatabase, dropDatabase } from '../../server/db/server.ts';
import { emptyDatabaseName, serverUrl } from '../helpers/database.ts';

const created: string[] = [];

async function emptyDatabase(): Promise<string> {
  const name = emptyDatabaseName();
  created.push(name);
  return createDatabase(serverUrl(), name);
}

async function appliedNames(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string }>(
      'SELECT name FROM schema_migrations ORDER BY name',
    );
    return rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  for (const name of created) await dropDatabase(serverUrl(), name);
});

describe('migrate', () => {
  it('applies every migration once when several processes migrate at the same moment', async () => {
    const url = await emptyDatabase();
    const results = await Promise.all([migrate(url), migrate(url), migrate(url), migrate(url)]);
    const all = readMigrations().map((m) => m.name);
    // Exactly one migrator did the work; the others waited on the lock and found it done.
    expect(results.filter((r) => r.length > 0)).toEqual([all]);
    expect(await appliedNames(url)).toEqual(all);
  });

  it('does nothing the second time', async () => {
    const url = await emptyDatabase();
    await migrate(url);
    expect(await migrate(url)).toEqual([]);
  });

  it('refuses a migration that was edited after it was applied', async () => {
    const url = await emptyDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'pdcc-migrations-'));
    for (const m of readMigrations()) copyFileSync(join(MIGRATIONS_DIR, m.name), join(dir, m.name));
    await migrate(url, { dir });
    const first = readMigrations()[0]!.name;
    writeFileSync(join(dir, first), `${readMigrations()[0]!.sql}\n-- edited\n`);
    await expect(migrate(url, { dir })).rejects.toThrow(/was changed after it was applied/);
  });

  it('rolls back a failing migration entirely', async () => {
    const url = await emptyDatabase();
    const dir = mkdtempSync(join(tmpdir(), 'pdcc-migrations-'));
    for (const m of readMigrations()) copyFileSync(join(MIGRATIONS_DIR, m.name), join(dir, m.name));
    writeFileSync(
      join(dir, '9999_broken.sql'),
      'CREATE TABLE half_done (id int);\nSELECT no_such_fn();',
    );
    await expect(migrate(url, { dir })).rejects.toThrow(/no_such_fn/);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query(
      "SELECT to_regclass('half_done') AS t, to_regclass('links') AS l",
    );
    await client.end();
    expect(rows[0]).toEqual({ t: null, l: null });
  });
});
