import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPanelJwt } from '../../server/pipedrive/jwt.ts';
import { startPanelApp, type TestApp } from '../helpers/app.ts';

const SECRET = 'panel-jwt-secret-for-tests';
let t: TestApp;

beforeAll(async () => {
  t = await startPanelApp(SECRET, [
    { id: 10, name: 'Alpha Ltd' },
    { id: 20, name: 'Beta AS' },
  ]);
  await t.database.db
    .insertInto('connections')
    .values({
      company_id: 10,
      cc_account_id: 'acc-alpha',
      cc_account_name: 'Alpha CC',
      cc_access_token: t.keyring.seal('x'),
    })
    .execute();
});

afterAll(async () => {
  await t.close();
});

const session = (token?: string) =>
  t.app.inject({
    url: '/api/session',
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });

describe('panel authentication', () => {
  it('lets an installed company and user in, scoped to that company', async () => {
    const alpha = await session(signPanelJwt({ companyId: 10, userId: 1 }, SECRET));
    expect(alpha.statusCode).toBe(200);
    expect(alpha.json()).toMatchObject({
      companyId: 10,
      company: { name: 'Alpha Ltd' },
      constantContact: { connected: true, accountName: 'Alpha CC' },
    });
    const beta = await session(signPanelJwt({ companyId: 20, userId: 1 }, SECRET));
    expect(beta.json()).toMatchObject({
      companyId: 20,
      company: { name: 'Beta AS' },
      constantContact: { connected: false },
    });
    expect(beta.body).not.toContain('Alpha');
  });

  it('answers 401 to a missing, forged, expired or foreign token', async () => {
    const cases: Record<string, string | undefined> = {
      missing: undefined,
      garbage: 'not-a-jwt',
      forged: signPanelJwt({ companyId: 10, userId: 1 }, 'another-apps-secret'),
      expired: signPanelJwt({ companyId: 10, userId: 1 }, SECRET, {
        now: Date.now() - 10 * 60_000,
      }),
    };
    for (const [name, token] of Object.entries(cases)) {
      const response = await session(token);
      expect(response.statusCode, name).toBe(401);
      expect(response.json().error.code, name).toBe('PANEL_UNAUTHENTICATED');
    }
  });

  it('answers 401 when the company or the user has not installed the app', async () => {
    for (const claims of [
      { companyId: 30, userId: 1 },
      { companyId: 10, userId: 2 },
    ]) {
      const response = await session(signPanelJwt(claims, SECRET));
      expect(response.statusCode).toBe(401);
      expect(response.json().error.code).toBe('PANEL_NOT_INSTALLED');
    }
  });

  it('keeps the token out of the logs', async () => {
    const token = signPanelJwt({ companyId: 10, userId: 1 }, SECRET);
    await session(token);
    await session(`${token}x`);
    expect(t.logs()).not.toContain(token.split('.')[2]);
  });

  it('disconnects Constant Contact for the caller’s company only', async () => {
    await t.database.db
      .insertInto('connections')
      .values({ company_id: 20, cc_account_id: 'acc-beta', cc_access_token: t.keyring.seal('y') })
      .execute();
    const response = await t.app.inject({
      method: 'POST',
      url: '/api/constant-contact/disconnect',
      headers: { authorization: `Bearer ${signPanelJwt({ companyId: 20, userId: 1 }, SECRET)}` },
    });
    expect(response.statusCode).toBe(200);
    const rows = await t.database.db
      .selectFrom('connections')
      .select(['company_id', 'cc_access_token'])
      .orderBy('company_id')
      .execute();
    expect(rows.map((r) => [r.company_id, r.cc_access_token === null])).toEqual([
      [10, false],
      [20, true],
    ]);
  });
});
