/**
 * OAuth as Pipedrive does it (reference 3): authorize redirect, form-encoded token endpoint
 * with Basic client auth, single-use 5-minute codes, non-rotating refresh tokens with a 60-day
 * idle expiry, revoke, scope enforcement, and uninstall with the DELETE callback.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClock } from '../shared/clock.ts';
import { APP, type Receiver, type Started, startFake, startReceiver } from './harness.ts';

let s: Started;
let receiver: Receiver;
const clock = createClock();

beforeEach(async () => {
  clock.set(Date.UTC(2026, 0, 10, 12));
  receiver = await startReceiver();
  s = await startFake({ clock, apps: [{ ...APP, callbackUrl: receiver.url }] });
});
afterEach(async () => {
  await s.fake.close();
  await receiver.close();
});

const basic = `Basic ${Buffer.from(`${APP.clientId}:${APP.clientSecret}`).toString('base64')}`;

async function authorize(state = 'st-1'): Promise<URL> {
  const res = await fetch(
    `${s.baseUrl}/oauth/authorize?client_id=${APP.clientId}&redirect_uri=${encodeURIComponent(APP.redirectUri)}&state=${state}`,
    {
      redirect: 'manual',
    },
  );
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? '');
}

async function token(form: Record<string, string>, auth: string | null = basic) {
  const res = await fetch(`${s.baseUrl}/oauth/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(auth ? { authorization: auth } : {}),
    },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('OAuth', () => {
  it('authorize redirects with code and state; the code is single-use', async () => {
    const loc = await authorize('abc');
    expect(`${loc.origin}${loc.pathname}`).toBe(APP.redirectUri);
    expect(loc.searchParams.get('state')).toBe('abc');
    const code = loc.searchParams.get('code') ?? '';
    const first = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: APP.redirectUri,
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      token_type: 'Bearer',
      expires_in: 3599,
      api_domain: s.baseUrl,
    });
    expect(String(first.body.scope).split(',')).toContain('base');
    const me = await s.call('GET', '/v1/users/me', undefined, String(first.body.access_token));
    expect(me.body.data.company_id).toBe(s.companyId);
    const second = await token({
      grant_type: 'authorization_code',
      code,
      redirect_uri: APP.redirectUri,
    });
    expect(second).toEqual({
      status: 400,
      body: {
        error: 'invalid_grant',
        error_description: 'Invalid grant: authorization_code is invalid',
      },
    });
  });

  it('denial redirects with error=user_denied and no code', async () => {
    s.fake.control.setAuthorizeDecision({ decision: 'deny' });
    const loc = await authorize('zz');
    expect(loc.searchParams.get('error')).toBe('user_denied');
    expect(loc.searchParams.get('state')).toBe('zz');
    expect(loc.searchParams.has('code')).toBe(false);
  });

  it('codes expire after 5 minutes; bad client credentials and grants are refused', async () => {
    const code = (await authorize()).searchParams.get('code') ?? '';
    clock.advance(5 * 60_000 + 1);
    expect((await token({ grant_type: 'authorization_code', code })).body.error_description).toBe(
      'Invalid grant: authorization_code has expired',
    );
    expect((await token({ grant_type: 'authorization_code', code }, null)).body.error).toBe(
      'invalid_client',
    );
    expect(
      (
        await token(
          { grant_type: 'authorization_code', code },
          `Basic ${Buffer.from('test-client:wrong').toString('base64')}`,
        )
      ).body.error,
    ).toBe('invalid_client');
    expect((await token({})).body.error_description).toBe('Missing parameter: grant_type');
    expect((await token({ grant_type: 'password' })).body.error).toBe('unsupported_grant_type');
    const json = await fetch(`${s.baseUrl}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic },
      body: '{}',
    });
    expect(json.status).toBe(400);
  });

  it('access tokens expire after about an hour; the refresh token does not rotate and idles out after 60 days', async () => {
    const code = (await authorize()).searchParams.get('code') ?? '';
    const t = (await token({ grant_type: 'authorization_code', code })).body;
    clock.advance(3600_000);
    expect(
      (await s.call('GET', '/api/v2/persons/1', undefined, String(t.access_token))).status,
    ).toBe(401);
    const r = await token({ grant_type: 'refresh_token', refresh_token: String(t.refresh_token) });
    expect(r.body.refresh_token).toBe(t.refresh_token);
    expect(
      (await s.call('GET', '/api/v2/persons/1', undefined, String(r.body.access_token))).status,
    ).toBe(200);
    clock.advance(59 * 86_400_000);
    expect(
      (await token({ grant_type: 'refresh_token', refresh_token: String(t.refresh_token) })).status,
    ).toBe(200);
    clock.advance(60 * 86_400_000 + 1000);
    expect(
      (await token({ grant_type: 'refresh_token', refresh_token: String(t.refresh_token) })).body
        .error_description,
    ).toBe('Invalid grant: refresh_token is invalid');
  });

  it('exchange_api_token moves an API-token user to OAuth, once per token', async () => {
    const user = [...s.fake.control.company(s.companyId).users.values()].find((u) => !u.isAdmin);
    const first = await token({
      grant_type: 'exchange_api_token',
      api_token: user?.apiToken ?? '',
    });
    expect(first.status).toBe(200);
    const me = await s.call('GET', '/v1/users/me', undefined, String(first.body.access_token));
    expect(me.body.data.id).toBe(user?.id);
    expect(
      (await token({ grant_type: 'exchange_api_token', api_token: user?.apiToken ?? '' })).status,
    ).toBe(400);
  });

  it('enforces scopes per endpoint with 403 Scope and URL mismatch', async () => {
    const readOnly = s.fake.control.mintToken({
      companyId: s.companyId,
      scopes: ['contacts:read'],
    }).access_token;
    expect((await s.call('GET', '/api/v2/persons?limit=1', undefined, readOnly)).status).toBe(200);
    const denied = await s.call('POST', '/api/v2/persons', { name: 'No Scope' }, readOnly);
    expect(denied.status).toBe(403);
    expect(denied.body).toMatchObject({
      success: false,
      error: 'Scope and URL mismatch',
      errorCode: 403,
    });
    expect((await s.call('GET', '/v1/webhooks', undefined, readOnly)).status).toBe(403);
    expect(
      [...s.fake.control.company(s.companyId).persons.values()].some((p) => p.name === 'No Scope'),
    ).toBe(false);
    const company = s.fake.control.company(s.companyId);
    const regular = [...company.users.values()].find((u) => !u.isAdmin);
    const nonAdmin = s.fake.control.mintToken({
      companyId: s.companyId,
      userId: regular?.id ?? 0,
      scopes: ['admin'],
    }).access_token;
    expect((await s.call('GET', '/v1/webhooks', undefined, nonAdmin)).status).toBe(403);
    const hooksScope = s.fake.control.mintToken({
      companyId: s.companyId,
      scopes: ['webhooks:read'],
    }).access_token;
    expect((await s.call('GET', '/v1/webhooks', undefined, hooksScope)).status).toBe(200);
    s.fake.control.setBehaviour({ webhookScopes: 'admin-only' });
    expect((await s.call('GET', '/v1/webhooks', undefined, hooksScope)).status).toBe(403);
  });

  it('revoke: an access-token hint kills only that token; a refresh-token hint uninstalls', async () => {
    const code = (await authorize()).searchParams.get('code') ?? '';
    const t = (await token({ grant_type: 'authorization_code', code })).body;
    const revoke = (form: Record<string, string>) =>
      fetch(`${s.baseUrl}/oauth/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic },
        body: new URLSearchParams(form).toString(),
      });
    expect(
      (await revoke({ token: String(t.access_token), token_type_hint: 'access_token' })).status,
    ).toBe(200);
    expect((await s.call('GET', '/v1/users/me', undefined, String(t.access_token))).status).toBe(
      401,
    );
    const r = await token({ grant_type: 'refresh_token', refresh_token: String(t.refresh_token) });
    expect(r.status).toBe(200);
    expect(
      (await revoke({ token: String(t.refresh_token), token_type_hint: 'refresh_token' })).status,
    ).toBe(200);
    expect(
      (await s.call('GET', '/v1/users/me', undefined, String(r.body.access_token))).status,
    ).toBe(401);
    expect(
      (await token({ grant_type: 'refresh_token', refresh_token: String(t.refresh_token) })).status,
    ).toBe(400);
    expect((await revoke({ token: 'garbage', token_type_hint: 'refresh_token' })).status).toBe(200);
  });

  it('uninstall sends DELETE with Basic auth to the callback, deletes app webhooks and kills tokens', async () => {
    const created = await s.call('POST', '/v1/webhooks', {
      subscription_url: 'https://example.com/x',
      event_action: '*',
      event_object: 'person',
    });
    expect(created.status).toBe(201);
    const result = await s.fake.control.uninstall({ companyId: s.companyId });
    expect(result).toMatchObject({ callbackStatus: 200, webhooksDeleted: 1 });
    const hit = receiver.received[0];
    expect(hit?.headers.authorization).toBe(basic);
    const admin = [...s.fake.control.company(s.companyId).users.values()].find((u) => u.isAdmin);
    expect(hit?.body).toEqual({
      client_id: APP.clientId,
      company_id: s.companyId,
      user_id: admin?.id,
      timestamp: new Date(clock.now()).toISOString(),
    });
    expect(s.fake.control.company(s.companyId).webhooks.size).toBe(0);
    expect((await s.call('GET', '/v1/users/me')).status).toBe(401);
  });
});
