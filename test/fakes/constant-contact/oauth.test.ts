import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP, type Harness, obj, startHarness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ rateLimits: { enabled: true, perSecond: 1000, perDay: 1_000_000 } });
});
afterAll(() => h.close());

const basic = `Basic ${Buffer.from(`${APP.clientId}:${APP.clientSecret}`).toString('base64')}`;
const verifier = 'a-very-long-pkce-code-verifier-0123456789-abcdefghijklmnop';
const challenge = createHash('sha256').update(verifier).digest('base64url');

/** Each token call moves the clock 1 s so the 1 request/s token limit never trips by accident. */
async function tokenCall(params: Record<string, string>, auth = basic) {
  h.fake.clock.advance(1000);
  const res = await fetch(`${h.base}/oauth2/default/v1/token`, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: obj(await res.json()) };
}

async function authorize(scope: string, pkce = true): Promise<string> {
  const q = new URLSearchParams({
    client_id: APP.clientId,
    redirect_uri: APP.redirectUri,
    response_type: 'code',
    scope,
    state: 'xyz',
    ...(pkce ? { code_challenge: challenge, code_challenge_method: 'S256' } : {}),
  });
  const res = await fetch(`${h.base}/oauth2/default/v1/authorize?${q}`, { redirect: 'manual' });
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location') ?? '');
  expect(location.searchParams.get('state')).toBe('xyz');
  return location.searchParams.get('code') ?? '';
}

const exchange = (code: string, extra: Record<string, string> = { code_verifier: verifier }) =>
  tokenCall({ grant_type: 'authorization_code', code, redirect_uri: APP.redirectUri, ...extra });

const api = (token: string) => h.call('GET', '/v3/contacts', { token });

describe('authorization code with PKCE', () => {
  it('issues a 24 h JWT access token and a refresh token with offline_access; the code is single-use', async () => {
    const code = await authorize('contact_data campaign_data offline_access');
    const first = await exchange(code);
    expect(first.status).toBe(200);
    expect(first.body.expires_in).toBe(86_400);
    expect(first.body.token_type).toBe('Bearer');
    expect(typeof first.body.refresh_token).toBe('string');
    const payload = JSON.parse(
      Buffer.from(String(first.body.access_token).split('.')[1] ?? '', 'base64url').toString(),
    );
    expect(payload.exp - payload.iat).toBe(86_400);
    expect((await api(String(first.body.access_token))).status).toBe(200);
    const again = await exchange(code);
    expect(again.status).toBe(400);
    expect(again.body.error).toBe('invalid_grant');
  });

  it('checks the PKCE verifier when a challenge was sent', async () => {
    const code = await authorize('contact_data offline_access');
    const res = await exchange(code, {
      code_verifier: 'wrong-verifier-wrong-verifier-wrong-verifier',
    });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_grant');
  });

  it('expires codes after 5 minutes', async () => {
    const code = await authorize('contact_data offline_access');
    h.fake.clock.advance(301_000);
    expect((await exchange(code)).body.error).toBe('invalid_grant');
  });

  it('gives no refresh token without offline_access', async () => {
    const res = await exchange(await authorize('contact_data'));
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toBeUndefined();
  });

  it('lets a public client exchange a PKCE code with client_id and no secret, but not a plain code', async () => {
    const form = (code: string, extra: Record<string, string>) =>
      fetch(`${h.base}/oauth2/default/v1/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: APP.redirectUri,
          client_id: APP.clientId,
          ...extra,
        }).toString(),
      });
    h.fake.clock.advance(1000);
    const ok = await form(await authorize('contact_data'), { code_verifier: verifier });
    expect(ok.status).toBe(200);
    h.fake.clock.advance(1000);
    const plain = await form(await authorize('contact_data', false), {});
    expect(plain.status).toBe(401);
    expect((await plain.json()).error).toBe('invalid_client');
  });

  it('rejects a bad client secret', async () => {
    const code = await authorize('contact_data');
    const bad = `Basic ${Buffer.from(`${APP.clientId}:nope`).toString('base64')}`;
    const res = await tokenCall(
      { grant_type: 'authorization_code', code, redirect_uri: APP.redirectUri },
      bad,
    );
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_client');
  });
});

describe('refresh token rotation', () => {
  it('each refresh invalidates earlier refresh tokens; reuse gives invalid_grant', async () => {
    const start = await exchange(await authorize('contact_data offline_access'));
    const rt1 = String(start.body.refresh_token);
    const r2 = await tokenCall({ grant_type: 'refresh_token', refresh_token: rt1 });
    expect(r2.status).toBe(200);
    const rt2 = String(r2.body.refresh_token);
    expect(rt2).not.toBe(rt1);
    const reuse = await tokenCall({ grant_type: 'refresh_token', refresh_token: rt1 });
    expect(reuse.status).toBe(400);
    expect(reuse.body).toEqual({
      error: 'invalid_grant',
      error_description: 'unknown, invalid, or expired refresh token',
    });
    const r3 = await tokenCall({ grant_type: 'refresh_token', refresh_token: rt2 });
    expect(r3.status).toBe(200);
    expect((await tokenCall({ grant_type: 'refresh_token', refresh_token: rt2 })).status).toBe(400);
    expect((await api(String(r3.body.access_token))).status).toBe(200);
  });

  it('long-lived mode returns the same refresh token', async () => {
    h.fake.control.registerApp({
      ...APP,
      redirectUris: [APP.redirectUri],
      refreshTokenMode: 'long_lived',
    });
    try {
      const start = await exchange(await authorize('contact_data offline_access'));
      const rt = String(start.body.refresh_token);
      const a = await tokenCall({ grant_type: 'refresh_token', refresh_token: rt });
      const b = await tokenCall({ grant_type: 'refresh_token', refresh_token: rt });
      expect([a.body.refresh_token, b.body.refresh_token]).toEqual([rt, rt]);
    } finally {
      h.fake.control.registerApp({
        ...APP,
        redirectUris: [APP.redirectUri],
        refreshTokenMode: 'rotating',
      });
    }
  });

  it('refresh tokens expire after 180 days without use', async () => {
    const start = await exchange(await authorize('contact_data offline_access'));
    h.fake.clock.advance(181 * 86_400_000);
    const res = await tokenCall({
      grant_type: 'refresh_token',
      refresh_token: String(start.body.refresh_token),
    });
    expect(res.body.error).toBe('invalid_grant');
  });
});

describe('expiry and revocation', () => {
  it('an expired access token gets the documented 401 object', async () => {
    const start = await exchange(await authorize('contact_data'));
    h.fake.clock.advance(86_400_000);
    const res = await api(String(start.body.access_token));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error_key: 'unauthorized', error_message: 'Unauthorized' });
  });

  it('revoking the grant (control) kills its access and refresh tokens', async () => {
    const set = h.fake.control.mintToken({ clientId: APP.clientId });
    expect((await api(set.access_token)).status).toBe(200);
    h.fake.control.revokeGrant(set.grant_id);
    expect((await api(set.access_token)).status).toBe(401);
    const res = await tokenCall({
      grant_type: 'refresh_token',
      refresh_token: String(set.refresh_token),
    });
    expect(res.body.error).toBe('invalid_grant');
  });

  it('the revoke endpoint answers 200 and revokes an access token', async () => {
    const set = h.fake.control.mintToken({ clientId: APP.clientId });
    const res = await fetch(`${h.base}/oauth2/default/v1/revoke`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token: set.access_token,
        token_type_hint: 'access_token',
      }).toString(),
    });
    expect(res.status).toBe(200);
    expect((await api(set.access_token)).status).toBe(401);
  });

  it('a token without the campaign_data scope gets 403 on reporting', async () => {
    const token = h.token(undefined, APP.clientId, ['contact_data']);
    expect((await h.call('GET', '/v3/emails', { token })).status).toBe(403);
    expect((await h.call('GET', '/v3/contacts', { token })).status).toBe(200);
  });
});

describe('token endpoint rate limit', () => {
  it('allows 1 request per second per client', async () => {
    const set = h.fake.control.mintToken({ clientId: APP.clientId });
    const first = await tokenCall({
      grant_type: 'refresh_token',
      refresh_token: String(set.refresh_token),
    });
    expect(first.status).toBe(200);
    const res = await fetch(`${h.base}/oauth2/default/v1/token`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        refresh_token: String(first.body.refresh_token),
      }).toString(),
    });
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({
      error_key: 'throttled',
      error_message: 'Too Many Requests',
    });
    // The throttled call did not consume the refresh token.
    expect(
      (
        await tokenCall({
          grant_type: 'refresh_token',
          refresh_token: String(first.body.refresh_token),
        })
      ).status,
    ).toBe(200);
  });
});
