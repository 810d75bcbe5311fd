import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keyring } from '../../server/crypto.ts';
import { ensureCompany } from '../../server/db/companies.repo.ts';
import { rotateKeys } from '../../server/db/rotate-keys.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

const oldKey = { id: 'old', key: randomBytes(32) };
const newKey = { id: 'new', key: randomBytes(32) };
let database: TestDatabase;

beforeAll(async () => {
  database = await freshDatabase();
});
afterAll(async () => {
  await database.drop();
});

describe('keys:rotate', () => {
  it('re-seals every secret under the new key, so the old key can go', async () => {
    const before = new Keyring([oldKey]);
    const { password } = await ensureCompany(database.db, before, 7);
    await database.db
      .insertInto('installations')
      .values({
        company_id: 7,
        user_id: 1,
        api_domain: 'http://x',
        access_token: before.seal('pd-access'),
        refresh_token: before.seal('pd-refresh'),
      })
      .execute();
    await database.db
      .insertInto('connections')
      .values({ company_id: 7, cc_access_token: before.seal('cc-access'), cc_refresh_token: null })
      .execute();

    const during = new Keyring([newKey, oldKey]);
    expect(await rotateKeys(database.db, during)).toEqual({ resealed: 4 });
    expect(await rotateKeys(database.db, during)).toEqual({ resealed: 0 });

    const after = new Keyring([newKey]);
    const installation = await database.db
      .selectFrom('installations')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(after.open(installation.access_token!)).toBe('pd-access');
    expect(after.open(installation.refresh_token!)).toBe('pd-refresh');
    const connection = await database.db
      .selectFrom('connections')
      .selectAll()
      .executeTakeFirstOrThrow();
    expect(after.open(connection.cc_access_token!)).toBe('cc-access');
    expect(connection.cc_refresh_token).toBeNull();
    const company = await database.db.selectFrom('companies').selectAll().executeTakeFirstOrThrow();
    expect(after.open(company.webhook_password)).toBe(password);
  });
});
