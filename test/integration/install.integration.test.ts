/**
 * Installing from Pipedrive and connecting Constant Contact, end to end against both fakes:
 * the browser's part is played with fetch (redirects followed by hand, cookies carried).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../server/db/embedded.ts';
import { constantContactConnectUrl } from '../../server/http/routes/oauth.ts';
import { checkWebhooks } from '../../server/jobs/webhooks-check.ts';
import {
  type ConstantContactFake,
  createConstantContactFake,
} from '../fakes/constant-contact/server.ts';
import { createPipedriveFake, type PipedriveFake } from '../fakes/pipedrive/server.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

const PD = { id: 'pd-client', secret: 'pd-client-secret-0123456789' };
const CC = { id: 'cc-client', secret: 'cc-client-secret-0123456789' };

let pd: PipedriveFake;
let cc: ConstantContactFake;
let t: TestApp;
let companyId: number;

beforeAll(async () => {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  pd = createPipedriveFake({
    seed: 'demo',
    apps: [
      {
        clientId: PD.id,
        clientSecret: PD.secret,
        redirectUri: `${publicUrl}/auth/pipedrive/callback`,
      },
    ],
    webhookTimeScale: 0.001,
  });
  await pd.listen(0);
  cc = createConstantContactFake({
    seed: 'demo',
    apps: [
      {
        clientId: CC.id,
        clientSecret: CC.secret,
        redirectUri: `${publicUrl}/auth/constant-contact/callback`,
      },
    ],
  });
  await cc.listen(0);
  t = await startTestApp({
    port,
    listen: true,
    env: {
      PIPEDRIVE_CLIENT_ID: PD.id,
      PIPEDRIVE_CLIENT_SECRET: PD.secret,
      PIPEDRIVE_OAUTH_URL: pd.baseUrl,
      CC_CLIENT_ID: CC.id,
      CC_CLIENT_SECRET: CC.secret,
      CC_OAUTH_URL: cc.baseUrl,
      CC_API_URL: cc.baseUrl,
      ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    },
  });
});

afterAll(async () => {
  await t.close();
  await pd.close();
  await cc.close();
});

/** Follows our redirect to the provider and the provider's redirect back, as a browser would. */
async function consent(startPath: string): Promise<{ callback: URL; cookie: string }> {
  const start = await t.app.inject(startPath);
  expect(start.statusCode).toBe(302);
  const cookie = [start.headers['set-cookie']]
    .flat()
    .filter((c): c is string => typeof c === 'string')
    .map((c) => c.split(';')[0])
    .join('; ');
  const provider = await fetch(String(start.headers.location), { redirect: 'manual' });
  expect(provider.status).toBe(302);
  return { callback: new URL(String(provider.headers.get('location'))), cookie };
}

const callback = (url: URL, cookie: string) =>
  t.app.inject({ url: `${url.pathname}${url.search}`, headers: { cookie } });

async function installations() {
  return t.database.db.selectFrom('installations').selectAll().execute();
}

describe('Pipedrive install', () => {
  it('installs: tokens sealed, company and user recorded, one person webhook registered', async () => {
    const { callback: back, cookie } = await consent('/auth/pipedrive');
    expect(back.searchParams.get('code')).toBeTruthy();
    const response = await callback(back, cookie);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('is installed');

    const [row] = await installations();
    expect(row).toBeDefined();
    companyId = row!.company_id;
    expect(row!.api_domain).toBe(pd.baseUrl);
    expect(row!.status).toBe('active');
    const access = t.keyring.open(row!.access_token!);
    expect(row!.access_token).not.toContain(access);
    const me = await fetch(`${pd.baseUrl}/v1/users/me`, {
      headers: { authorization: `Bearer ${access}` },
    });
    expect(me.status).toBe(200);

    const company = await t.database.db
      .selectFrom('companies')
      .selectAll()
      .where('company_id', '=', companyId)
      .executeTakeFirstOrThrow();
    expect(company.webhook_status).toBe('ok');
    const hooks = pd.store.company(companyId)!.webhooks;
    const ours = [...hooks.values()].filter(
      (w) => w.subscription_url === `${t.publicUrl}/webhooks/pipedrive/${companyId}`,
    );
    expect(ours).toHaveLength(1);
  });

  it('receives the registered webhook when a person is edited in Pipedrive', async () => {
    const person = [...pd.store.company(companyId)!.persons.values()][0]!;
    pd.control.ui.updatePerson(companyId, person.id, { name: 'Edited In Pipedrive' });
    await pd.control.webhooks.idle();
    const events = await t.database.db
      .selectFrom('webhook_events')
      .select(['entity_id', 'action'])
      .where('company_id', '=', companyId)
      .execute();
    expect(events).toContainEqual({ entity_id: person.id, action: 'change' });
  });

  it('reinstalls without duplicating the installation or the webhook', async () => {
    const { callback: back, cookie } = await consent('/auth/pipedrive');
    expect((await callback(back, cookie)).statusCode).toBe(200);
    expect(await installations()).toHaveLength(1);
    const hooks = [...pd.store.company(companyId)!.webhooks.values()].filter((w) =>
      w.subscription_url.startsWith(t.publicUrl),
    );
    expect(hooks).toHaveLength(1);
  });

  it('shows a 4xx page when the user denies consent, and installs nothing', async () => {
    pd.control.setAuthorizeDecision({ decision: 'deny' });
    try {
      const before = await installations();
      const { callback: back, cookie } = await consent('/auth/pipedrive');
      expect(back.searchParams.get('error')).toBe('user_denied');
      const response = await callback(back, cookie);
      expect(response.statusCode).toBe(400);
      expect(response.body).toContain('did not allow');
      expect(await installations()).toEqual(before);
    } finally {
      pd.control.setAuthorizeDecision({ decision: 'approve' });
    }
  });

  it('refuses a forged, a foreign-browser or a missing state with a 4xx page', async () => {
    const { callback: back, cookie } = await consent('/auth/pipedrive');
    const forged = new URL(back);
    forged.searchParams.set('state', 'eyJwIjoicGlwZWRyaXZlIiwiZXhwIjo5OTk5OTk5OTk5fQ.forged');
    expect((await callback(forged, cookie)).statusCode).toBe(400);
    expect((await callback(back, '')).statusCode).toBe(400); // no state cookie: another browser
    const none = new URL(back);
    none.searchParams.delete('state');
    const response = await callback(none, cookie);
    expect(response.statusCode).toBe(400);
    expect(response.body).not.toContain('Internal');
  });

  it('ignores an uninstall call without our client credentials', async () => {
    const response = await t.app.inject({
      method: 'DELETE',
      url: '/auth/pipedrive/callback',
      headers: { authorization: `Basic ${Buffer.from(`${PD.id}:wrong`).toString('base64')}` },
      payload: { client_id: PD.id, company_id: companyId, user_id: 1, timestamp: 'x' },
    });
    expect(response.statusCode).toBe(401);
    expect(await installations()).toHaveLength(1);
  });
});

describe('webhook check', () => {
  it('recreates the person webhook after Pipedrive removed it', async () => {
    const hooks = pd.store.company(companyId)!.webhooks;
    hooks.clear(); // what Pipedrive does to a webhook that kept failing (§7.6)
    expect(await checkWebhooks(t.appDeps)).toEqual({ [companyId]: 'ok' });
    const ours = [...hooks.values()].filter(
      (w) => w.subscription_url === `${t.publicUrl}/webhooks/pipedrive/${companyId}`,
    );
    expect(ours).toHaveLength(1);
    expect(await checkWebhooks(t.appDeps)).toEqual({ [companyId]: 'ok' });
    expect(hooks.size).toBe(1);
  });
});

describe('Constant Contact connect', () => {
  it('connects with PKCE and offline access; tokens sealed, account recorded', async () => {
    const [installation] = await installations();
    const url = new URL(constantContactConnectUrl(t.appDeps, companyId, installation!.user_id));
    const { callback: back, cookie } = await consent(`${url.pathname}${url.search}`);
    const response = await callback(back, cookie);
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('Constant Contact connected');
    const connection = await t.database.db
      .selectFrom('connections')
      .selectAll()
      .where('company_id', '=', companyId)
      .executeTakeFirstOrThrow();
    expect(connection.cc_account_id).toBeTruthy();
    expect(connection.cc_account_name).toBeTruthy();
    const access = t.keyring.open(connection.cc_access_token!);
    const contacts = await fetch(`${cc.baseUrl}/v3/contacts?limit=1`, {
      headers: { authorization: `Bearer ${access}` },
    });
    expect(contacts.status).toBe(200);
    expect(t.keyring.open(connection.cc_refresh_token!)).toBeTruthy();
  });

  it('sent a PKCE challenge, so a code exchanged without the verifier fails', async () => {
    const [installation] = await installations();
    const url = new URL(constantContactConnectUrl(t.appDeps, companyId, installation!.user_id));
    const { callback: back, cookie } = await consent(`${url.pathname}${url.search}`);
    const withoutVerifier = cookie
      .split('; ')
      .filter((c) => !c.startsWith('oauth2-code-verifier'))
      .join('; ');
    const response = await callback(back, withoutVerifier);
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('did not accept');
  });

  it('refuses an expired or forged connect ticket', async () => {
    const response = await t.app.inject('/auth/constant-contact?ticket=forged.value');
    expect(response.statusCode).toBe(400);
    expect(response.body).toContain('expired');
  });
});

describe('uninstall', () => {
  it('removes the company’s tokens and data when Pipedrive calls back', async () => {
    const result = await pd.control.uninstall({ companyId, clientId: PD.id });
    expect(result.callbackStatus).toBe(200);
    expect(await installations()).toHaveLength(0);
    const left = await t.database.db.selectFrom('connections').select('id').execute();
    expect(left).toHaveLength(0);
    const companies = await t.database.db.selectFrom('companies').select('company_id').execute();
    expect(companies).toHaveLength(0);
  });
});

describe('install by a user without admin rights', () => {
  it('installs, and says in the settings what to do about the webhook', async () => {
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    const limited = createPipedriveFake({
      seed: 'demo',
      apps: [
        {
          clientId: PD.id,
          clientSecret: PD.secret,
          redirectUri: `${publicUrl}/auth/pipedrive/callback`,
          scopes: ['base', 'contacts:full', 'users:read', 'search:read'],
        },
      ],
    });
    await limited.listen(0);
    const app = await startTestApp({
      port,
      env: {
        PIPEDRIVE_CLIENT_ID: PD.id,
        PIPEDRIVE_CLIENT_SECRET: PD.secret,
        PIPEDRIVE_OAUTH_URL: limited.baseUrl,
        ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      },
    });
    try {
      const start = await app.app.inject('/auth/pipedrive');
      const cookie = String([start.headers['set-cookie']].flat()[0]).split(';')[0] as string;
      const back = new URL(
        String(
          (await fetch(String(start.headers.location), { redirect: 'manual' })).headers.get(
            'location',
          ),
        ),
      );
      const response = await app.app.inject({
        url: `${back.pathname}${back.search}`,
        headers: { cookie },
      });
      expect(response.statusCode).toBe(200);
      expect(response.body).toContain('admin rights');
      const company = await app.database.db
        .selectFrom('companies')
        .selectAll()
        .executeTakeFirstOrThrow();
      expect(company.webhook_status).toBe('missing_rights');
      expect(company.webhook_error).toContain('Ask a Pipedrive admin');
      expect(await app.database.db.selectFrom('installations').select('id').execute()).toHaveLength(
        1,
      );
    } finally {
      await app.close();
      await limited.close();
    }
  });
});
