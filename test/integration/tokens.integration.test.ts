/**
 * Token refresh as several processes see it: each "process" here has its own connection pool
 * and its own token source, as separate workers would; they meet only in PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ccOAuth } from '../../server/constant-contact/provider.ts';
import { constantContactTokenSource } from '../../server/constant-contact/tokens.ts';
import { Keyring } from '../../server/crypto.ts';
import { ensureCompany } from '../../server/db/companies.repo.ts';
import { createDatabase, type Database } from '../../server/db/database.ts';
import { requestToken } from '../../server/oauth/token-request.ts';
import { PIPEDRIVE_OAUTH } from '../../server/pipedrive/provider.ts';
import { pipedriveTokenSource } from '../../server/pipedrive/tokens.ts';
import {
  type ConstantContactFake,
  createConstantContactFake,
} from '../fakes/constant-contact/server.ts';
import { createPipedriveFake, type PipedriveFake } from '../fakes/pipedrive/server.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

const keyring = new Keyring([{ id: 't', key: randomBytes(32) }]);
const CC_APP = { id: 'cc-app', secret: 'cc-secret-value-123' };
const PD_APP = { id: 'pd-app', secret: 'pd-secret-value-123' };

let database: TestDatabase;
let processes: Database[];
let cc: ConstantContactFake;
let pd: PipedriveFake;

beforeAll(async () => {
  database = await freshDatabase();
  processes = [createDatabase(database.url, { max: 2 }), createDatabase(database.url, { max: 2 })];
  cc = createConstantContactFake({
    seed: 'demo',
    apps: [
      { clientId: CC_APP.id, clientSecret: CC_APP.secret, redirectUri: 'http://127.0.0.1/cb' },
    ],
  });
  await cc.listen(0);
  pd = createPipedriveFake({
    seed: 'demo',
    apps: [
      { clientId: PD_APP.id, clientSecret: PD_APP.secret, redirectUri: 'http://127.0.0.1/cb' },
    ],
  });
  await pd.listen(0);
});

afterAll(async () => {
  for (const db of processes) await db.destroy();
  await cc.close();
  await pd.close();
  await database.drop();
});

const ccTokenCalls = () => cc.log.all().filter((r) => r.path === ccOAuth.paths.token).length;

async function connectCc(companyId: number) {
  const minted = cc.control.mintToken({ clientId: CC_APP.id, scopes: [...ccOAuth.requiredScopes] });
  await ensureCompany(database.db, keyring, companyId);
  await database.db
    .insertInto('connections')
    .values({
      company_id: companyId,
      status: 'active',
      cc_access_token: keyring.seal(minted.access_token),
      cc_refresh_token: keyring.seal(minted.refresh_token as string),
      cc_access_token_expires_at: new Date(Date.now() - 1000), // expired: the next get() refreshes
    })
    .execute();
  return minted;
}

function ccSource(db: Database, companyId: number) {
  return constantContactTokenSource({
    db,
    keyring,
    client: { ...CC_APP, oauthUrl: cc.baseUrl },
    companyId,
  });
}

describe('Constant Contact token refresh', () => {
  it('two workers refreshing one account at once: one refresh, both continue', async () => {
    const minted = await connectCc(1);
    const before = ccTokenCalls();
    const [a, b] = await Promise.all(processes.map((db) => ccSource(db, 1).get()));
    expect(a).toBe(b);
    expect(a).not.toBe(minted.access_token);
    expect(ccTokenCalls() - before).toBe(1);

    const works = await fetch(`${cc.baseUrl}/v3/contacts?limit=1`, {
      headers: { authorization: `Bearer ${a}` },
    });
    expect(works.status).toBe(200);
    // The refresh token rotated: the old one is dead, so storing the new one first mattered.
    await expect(
      requestToken(`${cc.baseUrl}${ccOAuth.paths.token}`, CC_APP, {
        grant_type: 'refresh_token',
        refresh_token: minted.refresh_token as string,
      }),
    ).rejects.toMatchObject({ error: 'invalid_grant' });
    // That direct call bypassed the app's pacing; let the endpoint's one-second window pass.
    await new Promise((r) => setTimeout(r, 1100));
  });

  it('after a 401, a refresh with the rejected token refreshes once; the other caller gets the new token', async () => {
    await connectCc(2);
    const current = await ccSource(processes[0]!, 2).get();
    const before = ccTokenCalls();
    const [x, y] = await Promise.all(processes.map((db) => ccSource(db, 2).refresh(current)));
    expect(x).toBe(y);
    expect(x).not.toBe(current);
    expect(ccTokenCalls() - before).toBe(1);
  });

  it('a revoked grant puts the connection in needs_reauth, once, with no retry storm', async () => {
    const minted = await connectCc(3);
    cc.control.revokeGrant(minted.grant_id);
    const before = ccTokenCalls();
    await expect(ccSource(processes[0]!, 3).get()).rejects.toMatchObject({
      code: 'CC_REAUTH_NEEDED',
    });
    const row = await database.db
      .selectFrom('connections')
      .select(['status', 'status_reason'])
      .where('company_id', '=', 3)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'needs_reauth', status_reason: 'invalid_grant' });
    for (let i = 0; i < 5; i++) {
      await expect(ccSource(processes[1]!, 3).get()).rejects.toMatchObject({
        code: 'CC_REAUTH_NEEDED',
      });
    }
    expect(ccTokenCalls() - before).toBe(1);
  });

  it('keeps the token endpoint under 1 request per second across accounts', async () => {
    await connectCc(4);
    await connectCc(5);
    const start = cc.log.all().length;
    await Promise.all([ccSource(processes[0]!, 4).get(), ccSource(processes[1]!, 5).get()]);
    const calls = cc.log
      .all()
      .slice(start)
      .filter((r) => r.path === ccOAuth.paths.token);
    expect(calls).toHaveLength(2);
    expect(Math.abs((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0))).toBeGreaterThanOrEqual(950);
  });
});

describe('Pipedrive token refresh', () => {
  const pdTokenCalls = () =>
    pd.log.all().filter((r) => r.path === PIPEDRIVE_OAUTH.tokenPath).length;

  async function install(companyId: number) {
    const minted = pd.control.mintToken({ companyId, clientId: PD_APP.id });
    await ensureCompany(database.db, keyring, companyId);
    const row = await database.db
      .insertInto('installations')
      .values({
        company_id: companyId,
        user_id: 1,
        api_domain: pd.baseUrl,
        access_token: keyring.seal(minted.access_token),
        refresh_token: keyring.seal(minted.refresh_token),
        access_token_expires_at: new Date(Date.now() + 3_600_000),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { minted, installationId: row.id };
  }

  const source = (db: Database, installationId: number) =>
    pipedriveTokenSource({
      db,
      keyring,
      client: { ...PD_APP, oauthUrl: pd.baseUrl },
      installationId,
    });

  it('uses the stored token while it is fresh, refreshes once on a 401 from several callers', async () => {
    const [company] = pd.control.seed({ companies: [{ name: 'Tokens Co', users: 1 }] });
    const companyId = company!.company.id;
    const { minted, installationId } = await install(companyId);
    expect(await source(processes[0]!, installationId).get()).toBe(minted.access_token);
    const before = pdTokenCalls();
    pd.control.expireToken(minted.access_token);
    const [a, b] = await Promise.all(
      processes.map((db) => source(db, installationId).refresh(minted.access_token)),
    );
    expect(a).toBe(b);
    expect(a).not.toBe(minted.access_token);
    expect(pdTokenCalls() - before).toBe(1);
    const me = await fetch(`${pd.baseUrl}/v1/users/me`, {
      headers: { authorization: `Bearer ${a}` },
    });
    expect(me.status).toBe(200);
  });
});
