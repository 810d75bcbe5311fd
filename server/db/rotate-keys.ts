/**
 * Re-seals every secret at rest under the current (first) key of ENCRYPTION_KEYS, so an old key
 * can then be removed. Row by row under a row lock, so it can run while the app runs; values
 * already under the current key are left alone, so it can be interrupted and run again.
 *
 *   ENCRYPTION_KEYS=new:…,old:… npm run keys:rotate
 */
import type { Keyring } from '../crypto.ts';
import type { Database } from './database.ts';

/** Every column that holds a sealed value, by table and primary key. */
const SEALED = [
  { table: 'installations', key: 'id', columns: ['access_token', 'refresh_token'] },
  { table: 'connections', key: 'id', columns: ['cc_access_token', 'cc_refresh_token'] },
  { table: 'companies', key: 'company_id', columns: ['webhook_password'] },
] as const;

export async function rotateKeys(db: Database, keyring: Keyring): Promise<{ resealed: number }> {
  let resealed = 0;
  for (const { table, key, columns } of SEALED) {
    const ids = await db.selectFrom(table).select(`${key} as id`).execute();
    for (const { id } of ids as { id: number }[]) {
      resealed += await db.transaction().execute(async (trx) => {
        const row = (await trx
          .selectFrom(table)
          .select([...columns])
          .where(key, '=', id)
          .forUpdate()
          .executeTakeFirst()) as Record<string, string | null> | undefined;
        if (!row) return 0;
        const updates: Record<string, string> = {};
        for (const column of columns) {
          const value = row[column];
          if (value && keyring.isStale(value)) updates[column] = keyring.seal(keyring.open(value));
        }
        if (Object.keys(updates).length === 0) return 0;
        await trx.updateTable(table).set(updates).where(key, '=', id).execute();
        return Object.keys(updates).length;
      });
    }
  }
  return { resealed };
}
