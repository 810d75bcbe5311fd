/**
 * The Okta-style OAuth server of CC (§3) under `/oauth2/default/v1/`: authorize (auto-approved
 * for the store's `approveAccountId`), token (authorization_code, refresh_token with rotation)
 * and revoke. Access tokens are JWT-shaped (§3.1 Fake) with `exp`/`iat`, HMAC-signed with a
 * throwaway key: the app should only decode them.
 */
import { createHash, createHmac } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ccOAuth } from '../../../server/constant-contact/provider.ts';
import type { FakeClock } from '../shared/clock.ts';
import { CcHttpError, oauthError, unauthorized } from './errors.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { CcStore, Grant, OAuthApp } from './store.ts';

const SIGNING_KEY = 'cc-fake-throwaway-signing-key';

export interface AccessTokenClaims {
  /** Grant id. */
  gid: string;
  cid: string;
  aid: string;
  scp: string[];
  iat: number;
  exp: number;
  jti: string;
}

export interface TokenSet {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
  id_token: string;
}

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

export class OAuthServer {
  constructor(
    private readonly ref: { store: CcStore },
    private readonly clock: FakeClock,
  ) {}

  /** Read through the reference: a reset swaps the store. */
  private get store(): CcStore {
    return this.ref.store;
  }

  signAccessToken(grant: Grant): { token: string; claims: AccessTokenClaims } {
    const iat = Math.floor(this.clock.now() / 1000);
    const claims: AccessTokenClaims = {
      gid: grant.grantId,
      cid: grant.clientId,
      aid: grant.accountId,
      scp: grant.scopes,
      iat,
      exp: iat + ccOAuth.accessTokenTtlSeconds,
      jti: this.store.uuid(),
    };
    const head = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'cc-fake' })}.${b64(claims)}`;
    const sig = createHmac('sha256', SIGNING_KEY).update(head).digest('base64url');
    return { token: `${head}.${sig}`, claims };
  }

  /** Verifies an access token; anything wrong, expired or revoked is the 401 of §3.8. */
  verify(token: string): { claims: AccessTokenClaims; grant: Grant } {
    const [head, body, sig] = token.split('.');
    if (!head || !body || !sig) throw unauthorized();
    const expected = createHmac('sha256', SIGNING_KEY)
      .update(`${head}.${body}`)
      .digest('base64url');
    if (expected !== sig) throw unauthorized();
    const claims = JSON.parse(Buffer.from(body, 'base64url').toString()) as AccessTokenClaims;
    const grant = this.store.grants.get(claims.gid);
    if (!grant || grant.revoked || this.store.revokedAccessTokens.has(claims.jti))
      throw unauthorized();
    if (claims.exp * 1000 <= this.clock.now()) throw unauthorized();
    return { claims, grant };
  }

  /** Mints a grant and its first token set, as a completed consent would (§3.2). */
  issueGrant(clientId: string, accountId: string, scopes: string[]): TokenSet {
    this.store.account(accountId);
    const grant: Grant = {
      grantId: this.store.uuid(),
      clientId,
      accountId,
      scopes,
      revoked: false,
      refreshTokenLastUsedAt: this.clock.now(),
      createdAt: this.clock.now(),
    };
    this.store.grants.set(grant.grantId, grant);
    return this.tokenSet(grant, true);
  }

  private tokenSet(grant: Grant, rotate: boolean): TokenSet {
    const { token } = this.signAccessToken(grant);
    const set: TokenSet = {
      access_token: token,
      token_type: 'Bearer',
      expires_in: ccOAuth.accessTokenTtlSeconds,
      scope: grant.scopes.join(' '),
      id_token: this.signAccessToken(grant).token,
    };
    // §3.2: a refresh token only with offline_access.
    if (grant.scopes.includes(ccOAuth.scopes.offlineAccess)) {
      if (rotate || !grant.refreshToken)
        grant.refreshToken = `rt.${grant.grantId}.${this.store.token()}`;
      set.refresh_token = grant.refreshToken;
    }
    return set;
  }

  revokeGrant(grantId: string): void {
    const grant = this.store.grants.get(grantId);
    if (grant) grant.revoked = true;
  }

  private clientFromBasic(request: FastifyRequest): OAuthApp {
    const header = request.headers.authorization ?? '';
    const match = /^Basic\s+(.+)$/i.exec(header);
    if (!match?.[1]) throw oauthError(401, 'invalid_client', 'Client authentication failed.');
    const decoded = Buffer.from(match[1], 'base64').toString();
    const colon = decoded.indexOf(':');
    const id = decodeURIComponent(decoded.slice(0, colon));
    const secret = decodeURIComponent(decoded.slice(colon + 1));
    const app = this.store.apps.get(id);
    if (!app || app.clientSecret !== secret) {
      throw oauthError(401, 'invalid_client', 'Client authentication failed.');
    }
    return app;
  }

  authorize(query: Record<string, string | undefined>): string {
    const app = this.store.apps.get(query.client_id ?? '');
    const redirectUri = query.redirect_uri ?? '';
    // An unknown client or redirect URI must not redirect (open-redirect rule): plain 400.
    if (!app) throw oauthError(400, 'invalid_client', 'Unknown client_id.');
    if (!app.redirectUris.includes(redirectUri)) {
      throw oauthError(
        400,
        'invalid_request',
        "The 'redirect_uri' parameter must be a registered URI.",
      );
    }
    const back = new URL(redirectUri);
    if (query.state !== undefined) back.searchParams.set('state', query.state);
    const fail = (error: string, description: string): string => {
      back.searchParams.set('error', error);
      back.searchParams.set('error_description', description);
      return back.toString();
    };
    if (query.response_type !== 'code')
      return fail('unsupported_response_type', 'response_type must be code.');
    if (query.code_challenge && query.code_challenge_method !== 'S256') {
      return fail('invalid_request', 'code_challenge_method must be S256.');
    }
    const accountId = this.store.approveAccountId;
    if (!accountId) return fail('access_denied', 'No CC account to approve for.');
    const code = this.store.token(18);
    this.store.codes.set(code, {
      code,
      clientId: app.clientId,
      accountId,
      redirectUri,
      scopes: (query.scope ?? '').split(/[\s+]+/).filter(Boolean),
      codeChallenge: query.code_challenge,
      codeChallengeMethod: query.code_challenge_method,
      expiresAt: this.clock.now() + ccOAuth.authorizationCodeTtlSeconds * 1000,
      used: false,
    });
    back.searchParams.set('code', code);
    return back.toString();
  }

  token(request: FastifyRequest, limiter: RateLimiter): TokenSet {
    // §3.4: CC's examples put the fields in the query string; a form body works too.
    const params: Record<string, string | undefined> = {
      ...(request.query as Record<string, string | undefined>),
      ...((request.body ?? {}) as Record<string, string | undefined>),
    };
    // §3.2: a PKCE public client sends `client_id` and no secret; everyone else uses Basic.
    const publicApp = request.headers.authorization
      ? undefined
      : this.store.apps.get(params.client_id ?? '');
    const app = publicApp ?? this.clientFromBasic(request);
    limiter.takeToken(app.clientId);
    if (params.grant_type === 'authorization_code')
      return this.exchangeCode(app, params, !!publicApp);
    if (params.grant_type === 'refresh_token') return this.refresh(app, params.refresh_token ?? '');
    throw oauthError(
      400,
      'unsupported_grant_type',
      'The authorization grant type is not supported.',
    );
  }

  private exchangeCode(
    app: OAuthApp,
    params: Record<string, string | undefined>,
    publicClient: boolean,
  ): TokenSet {
    const invalid = oauthError(
      400,
      'invalid_grant',
      'The authorization code is invalid or has expired.',
    );
    const code = this.store.codes.get(params.code ?? '');
    if (!code || code.clientId !== app.clientId) throw invalid;
    if (code.used || code.expiresAt <= this.clock.now()) throw invalid;
    // Single use (§3.3): even a failed exchange burns the code.
    code.used = true;
    if (publicClient && !code.codeChallenge) {
      throw oauthError(401, 'invalid_client', 'Client authentication failed.');
    }
    if (params.redirect_uri !== code.redirectUri) {
      throw oauthError(
        400,
        'invalid_grant',
        "The 'redirect_uri' does not match the redirection URI used in the authorization request.",
      );
    }
    if (code.codeChallenge) {
      const verifier = params.code_verifier ?? '';
      const computed = createHash('sha256').update(verifier).digest('base64url');
      if (computed !== code.codeChallenge) {
        throw oauthError(400, 'invalid_grant', 'PKCE verification failed.');
      }
    }
    return this.issueGrant(app.clientId, code.accountId, code.scopes);
  }

  /** §3.7: rotating tokens work once; every new set kills every earlier refresh token. */
  private refresh(app: OAuthApp, refreshToken: string): TokenSet {
    const invalid = oauthError(400, 'invalid_grant', ccOAuth.invalidGrantDescription);
    const grantId = refreshToken.split('.')[1] ?? '';
    const grant = this.store.grants.get(grantId);
    if (!grant || grant.clientId !== app.clientId || grant.revoked) throw invalid;
    if (grant.refreshToken !== refreshToken) throw invalid;
    const idleMs = ccOAuth.refreshTokenIdleTtlSeconds * 1000;
    if (this.clock.now() - grant.refreshTokenLastUsedAt > idleMs) throw invalid;
    grant.refreshTokenLastUsedAt = this.clock.now();
    return this.tokenSet(grant, app.refreshTokenMode === 'rotating');
  }

  /** §3.1 (UNCONFIRMED path): always 200; revokes an access token or a whole grant. */
  revoke(request: FastifyRequest): void {
    const app = this.clientFromBasic(request);
    const body = (request.body ?? {}) as Record<string, string | undefined>;
    const token = body.token ?? '';
    if (token.startsWith('rt.')) {
      const grant = this.store.grants.get(token.split('.')[1] ?? '');
      if (grant && grant.clientId === app.clientId && grant.refreshToken === token)
        grant.revoked = true;
      return;
    }
    try {
      const { claims } = this.verify(token);
      if (claims.cid === app.clientId) this.store.revokedAccessTokens.add(claims.jti);
    } catch (error) {
      if (!(error instanceof CcHttpError)) throw error;
    }
  }

  register(app: FastifyInstance, limiter: RateLimiter, clientIdOf: WeakMap<object, string>): void {
    const { paths } = ccOAuth;
    app.get(paths.authorize, async (request, reply) => {
      const location = this.authorize(request.query as Record<string, string | undefined>);
      return reply.redirect(location, 302);
    });
    app.post(paths.token, async (request, reply) => {
      try {
        const set = this.token(request, limiter);
        return reply.header('cache-control', 'no-store').send(set);
      } finally {
        const id = this.basicClientId(request);
        if (id) clientIdOf.set(request, id);
      }
    });
    app.post(paths.revoke, async (request, reply) => {
      this.revoke(request);
      return reply.code(200).send();
    });
  }

  private basicClientId(request: FastifyRequest): string | undefined {
    const match = /^Basic\s+(.+)$/i.exec(request.headers.authorization ?? '');
    if (!match?.[1]) return undefined;
    const decoded = Buffer.from(match[1], 'base64').toString();
    return decodeURIComponent(decoded.slice(0, decoded.indexOf(':')));
  }
}
