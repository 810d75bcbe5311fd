/**
 * A company installed and connected against the two fakes, straight into the database (the
 * OAuth dance itself is tested in install.integration.test.ts): tokens minted by the fakes,
 * sealed with the test keyring, and the connection's settings as given.
 */

import { ccOAuth } from '../../server/constant-contact/provider.ts';
import type { Keyring } from '../../server/crypto.ts';
import { ensureCompany } from '../../server/db/companies.repo.ts';
import type { Database } from '../../server/db/database.ts';
import type { ConnectionSettings } from '../../server/sync/settings.ts';
import type { SyncWorld } from './sync-world.ts';

export async function connectCompany(input: {
  db: Database;
  keyring: Keyring;
  world: SyncWorld;
  companyId: number;
  ccAccountId: string;
  settings: ConnectionSettings;
}): Promise<{ connectionId: number }> {
  const { db, keyring } = input;
  const { pd, cc, apps } = input.world;
  const pdToken = pd.control.mintToken({ companyId: input.companyId, clientId: apps.pd.id });
  cc.control.approveAs(input.ccAccountId);
  const ccToken = cc.control.mintToken({
    clientId: apps.cc.id,
    accountId: input.ccAccountId,
    scopes: [...ccOAuth.requiredScopes],
  });
  await ensureCompany(db, keyring, input.companyId);
  await db
    .insertInto('installations')
    .values({
      company_id: input.companyId,
      user_id: 1,
      api_domain: pd.baseUrl,
      access_token: keyring.seal(pdToken.access_token),
      refresh_token: keyring.seal(pdToken.refresh_token),
      access_token_expires_at: new Date(Date.now() + 3_600_000),
    })
    .execute();
  const row = await db
    .insertInto('connections')
    .values({
      company_id: input.companyId,
      cc_account_id: input.ccAccountId,
      cc_account_name: 'Test account',
      cc_access_token: keyring.seal(ccToken.access_token),
      cc_refresh_token: keyring.seal(ccToken.refresh_token as string),
      cc_access_token_expires_at: new Date(Date.now() + 86_400_000),
      status: 'setup',
      settings: JSON.stringify(input.settings),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { connectionId: row.id };
}
