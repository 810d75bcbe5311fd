/**
 * The kysely instance over a pg pool. Bigint columns come back as strings from pg by default;
 * ids here fit in a JS number (Pipedrive ids are 32-bit), so int8 is parsed as a number.
 */
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DB } from './schema.ts';

pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

export type Database = Kysely<DB>;

export function createDatabase(
  url: string,
  options: { max?: number; onError?: (error: Error) => void } = {},
): Database {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
  // An idle client that loses its server (restart, failover) must not crash the process;
  // the pool replaces it on next use.
  pool.on('error', (error) => options.onError?.(error));
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}
