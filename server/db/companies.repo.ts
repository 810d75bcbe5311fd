import type { Keyring } from '../crypto.ts';
import { randomSecret } from '../crypto.ts';
import type { Database } from './database.ts';

/**
 * Makes sure the company has a row and webhook credentials; returns the credentials in clear
 * (to register with Pipedrive). Existing credentials are kept, so a reinstall does not break
 * webhooks already registered with them.
 */
export async function ensureCompany(
  db: Database,
  keyring: Keyring,
  companyId: number,
): Promise<{ user: string; password: string }> {
  const password = randomSecret(24);
  const inserted = await db
    .insertInto('companies')
    .values({
      company_id: companyId,
      webhook_user: `pd-${companyId}-${randomSecret(6)}`,
      webhook_password: keyring.seal(password),
    })
    .onConflict((oc) => oc.column('company_id').doNothing())
    .returning('webhook_user')
    .executeTakeFirst();
  if (inserted) return { user: inserted.webhook_user, password };
  const row = await db
    .selectFrom('companies')
    .select(['webhook_user', 'webhook_password'])
    .where('company_id', '=', companyId)
    .executeTakeFirstOrThrow();
  return { user: row.webhook_user, password: keyring.open(row.webhook_password) };
}

/** Uninstall: the company's tokens, settings, links, history and queued events all go. */
export async function deleteCompany(db: Database, companyId: number): Promise<boolean> {
  const result = await db
    .deleteFrom('companies')
    .where('company_id', '=', companyId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
