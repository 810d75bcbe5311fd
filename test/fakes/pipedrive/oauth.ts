/**
 * Pipedrive's OAuth server (reference 3.1–3.9): `/oauth/authorize` redirects with `code` and
 * `state` (or `error=user_denied`), `/oauth/token` takes a form body with Basic client auth and
 * the authorization_code, refresh_token and exchange_api_token grants, `/oauth/revoke`
 * answers 200 always and uninstalls on a refresh-token hint. Uninstall sends the documented
 * `DELETE <callback>` with Basic auth and deletes the install's app webhooks.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  PIPEDRIVE_APP_SCOPES,
  PIPEDRIVE_ERRORS,
  PIPEDRIVE_OAUTH,
} from '../../../server/pipedrive/provider.ts';
import type { FakeContext } from './api.ts';
import { type AccessToken, type Install, installKey, type OAuthApp } from './store.ts';

export interface AuthorizeDecision {
  decision: 'approve' | 'deny';
  /** Who approves; the first seeded company's admin when not set. */
  companyId?: number;
  userId?: number;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  refresh_token: string;
  scope: string;
  expires_in: number;
  api_domain: string;
}

export interface UninstallResult {
  callbackUrl: string;
  callbackStatus: number | null;
  webhooksDeleted: number;
}

const random = (bytes: number) => randomBytes(bytes).toString('base64url');

export class OAuthServer {
  decision: AuthorizeDecision = { decision: 'approve' };
  private exchangedApiTokens = new Set<string>();

  constructor(private readonly fx: FakeContext) {}

  registerApp(app: OAuthApp): void {
    this.fx.store.apps.set(app.clientId, app);
  }

  /** The user who approves an authorization: the decision's, or the first company's admin. */
  approver(): { companyId: number; userId: number } {
    const { store } = this.fx;
    const company =
      this.decision.companyId !== undefined
        ? store.company(this.decision.companyId)
        : store.companies.values().next().value;
    if (!company) throw new Error('no company seeded');
    const userId = this.decision.userId ?? [...company.users.values()].find((u) => u.isAdmin)?.id;
    if (userId === undefined || !company.users.has(userId))
      throw new Error('approving user not found');
    return { companyId: company.company.id, userId };
  }

  /** Creates (or replaces) an install and returns its first token, as a code exchange does. */
  install(
    clientId: string | null,
    companyId: number,
    userId: number,
    scopes: readonly string[],
  ): TokenResponse {
    const now = this.fx.clock.now();
    const withBase = [...new Set(['base', ...scopes])];
    if (clientId === null)
      return this.tokenResponse(this.issueAccess(null, companyId, userId, withBase), '');
    const key = installKey(clientId, companyId, userId);
    // A re-install replaces the refresh token; earlier access tokens simply run out (the fake
    // does not guess whether Pipedrive revokes them early).
    const install: Install = {
      clientId,
      companyId,
      userId,
      scopes: withBase,
      refreshToken: `${companyId}:${userId}:${randomBytes(20).toString('hex')}`,
      refreshLastUsed: now,
    };
    this.fx.store.installs.set(key, install);
    return this.tokenResponse(
      this.issueAccess(clientId, companyId, userId, withBase),
      install.refreshToken,
    );
  }

  private issueAccess(
    clientId: string | null,
    companyId: number,
    userId: number,
    scopes: string[],
  ): AccessToken {
    const token: AccessToken = {
      token: `v1u:${random(48)}`,
      clientId,
      companyId,
      userId,
      scopes,
      expiresAt: this.fx.clock.now() + PIPEDRIVE_OAUTH.accessTokenTtlSeconds * 1000,
      revoked: false,
    };
    this.fx.store.accessTokens.set(token.token, token);
    return token;
  }

  private tokenResponse(t: AccessToken, refreshToken: string): TokenResponse {
    return {
      access_token: t.token,
      token_type: 'Bearer',
      refresh_token: refreshToken,
      scope: t.scopes.join(','),
      expires_in: PIPEDRIVE_OAUTH.accessTokenTtlSeconds,
      api_domain: this.fx.baseUrl(),
    };
  }

  private dropAccessTokens(install: Install): void {
    for (const [k, t] of this.fx.store.accessTokens) {
      if (
        t.clientId === install.clientId &&
        t.companyId === install.companyId &&
        t.userId === install.userId
      )
        this.fx.store.accessTokens.delete(k);
    }
  }

  /**
   * Uninstalls: tokens stop working, the install's app webhooks are deleted, and the app's
   * callback gets `DELETE` with Basic auth and `{client_id, company_id, user_id, timestamp}`.
   */
  async uninstall(clientId: string, companyId: number, userId: number): Promise<UninstallResult> {
    const { store, clock, behaviour } = this.fx;
    const app = store.apps.get(clientId);
    if (!app) throw new Error(`unknown client ${clientId}`);
    const install = store.installs.get(installKey(clientId, companyId, userId));
    if (install) {
      this.dropAccessTokens(install);
      store.installs.delete(installKey(clientId, companyId, userId));
    }
    let webhooksDeleted = 0;
    const company = store.company(companyId);
    for (const w of [...(company?.webhooks.values() ?? [])]) {
      if (w.clientId === clientId && w.owner_id === userId) {
        company?.webhooks.delete(w.id);
        webhooksDeleted++;
      }
    }
    const now = clock.now();
    const timestamp =
      behaviour.uninstallTimestamp === 'iso'
        ? new Date(now).toISOString()
        : String(Math.floor(now / 1000));
    let callbackStatus: number | null = null;
    try {
      const res = await fetch(app.callbackUrl, {
        method: PIPEDRIVE_OAUTH.uninstallMethod,
        headers: {
          authorization: `Basic ${Buffer.from(`${app.clientId}:${app.clientSecret}`).toString('base64')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({
          client_id: clientId,
          company_id: companyId,
          user_id: userId,
          timestamp,
        }),
        signal: AbortSignal.timeout(10_000),
      });
      callbackStatus = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch {
      // Reference 3.9: Pipedrive ignores the outcome of the callback.
    }
    return { callbackUrl: app.callbackUrl, callbackStatus, webhooksDeleted };
  }

  register(app: FastifyInstance): void {
    app.get(PIPEDRIVE_OAUTH.authorizePath, (req, reply) => this.authorize(req, reply));
    app.post(PIPEDRIVE_OAUTH.tokenPath, (req, reply) => this.token(req, reply));
    app.post(PIPEDRIVE_OAUTH.revokePath, (req, reply) => this.revoke(req, reply));
  }

  private authorize(req: FastifyRequest, reply: FastifyReply) {
    const q = req.query as Record<string, string | undefined>;
    const client = q.client_id ? this.fx.store.apps.get(q.client_id) : undefined;
    if (!client)
      return reply.code(400).send({ success: false, error: PIPEDRIVE_ERRORS.invalidClient });
    if (q.redirect_uri !== undefined && q.redirect_uri !== client.redirectUri) {
      return reply.code(400).send({ success: false, error: PIPEDRIVE_ERRORS.invalidRedirectUri });
    }
    const target = new URL(client.redirectUri);
    if (this.decision.decision === 'deny') {
      target.searchParams.set('error', 'user_denied');
    } else {
      const { companyId, userId } = this.approver();
      const code = `${random(8)}.${random(24)}`;
      this.fx.store.codes.set(code, {
        code,
        clientId: client.clientId,
        redirectUri: client.redirectUri,
        companyId,
        userId,
        expiresAt: this.fx.clock.now() + PIPEDRIVE_OAUTH.authorizationCodeTtlSeconds * 1000,
        used: false,
      });
      target.searchParams.set('code', code);
    }
    if (q.state !== undefined) target.searchParams.set('state', q.state);
    return reply.redirect(target.toString(), 302);
  }

  private fail(reply: FastifyReply, error: string, description: string, status = 400) {
    const body =
      this.fx.behaviour.oauthErrorShape === 'rfc6749'
        ? { error, error_description: description }
        : { success: false, error: description, data: null, additional_data: null };
    return reply.code(status).send(body);
  }

  private client(
    req: FastifyRequest,
    form: Record<string, string | undefined>,
  ): OAuthApp | 'missing' | 'invalid' {
    let id = form.client_id;
    let secret = form.client_secret;
    const header = req.headers.authorization;
    if (header?.startsWith('Basic ')) {
      const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      id = decoded.slice(0, colon);
      secret = decoded.slice(colon + 1);
    }
    if (!id || secret === undefined) return 'missing';
    const app = this.fx.store.apps.get(id);
    return app && app.clientSecret === secret ? app : 'invalid';
  }

  private form(req: FastifyRequest): Record<string, string | undefined> | null {
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/x-www-form-urlencoded')) return null;
    return (req.body ?? {}) as Record<string, string | undefined>;
  }

  private token(req: FastifyRequest, reply: FastifyReply) {
    const form = this.form(req);
    if (!form) return this.fail(reply, 'invalid_request', PIPEDRIVE_ERRORS.formContentType);
    const client = this.client(req, form);
    if (client === 'missing')
      return this.fail(reply, 'invalid_client', PIPEDRIVE_ERRORS.missingClientCredentials);
    if (client === 'invalid')
      return this.fail(reply, 'invalid_client', PIPEDRIVE_ERRORS.invalidClient);
    const now = this.fx.clock.now();
    switch (form.grant_type) {
      case undefined:
      case '':
        return this.fail(reply, 'invalid_request', PIPEDRIVE_ERRORS.missingGrantType);
      case 'authorization_code': {
        const code = form.code ? this.fx.store.codes.get(form.code) : undefined;
        if (!code || code.used || code.clientId !== client.clientId)
          return this.fail(reply, 'invalid_grant', PIPEDRIVE_ERRORS.invalidCode);
        if (code.expiresAt <= now)
          return this.fail(reply, 'invalid_grant', PIPEDRIVE_ERRORS.expiredCode);
        if (form.redirect_uri !== undefined && form.redirect_uri !== code.redirectUri) {
          return this.fail(reply, 'invalid_request', PIPEDRIVE_ERRORS.invalidRedirectUri);
        }
        code.used = true;
        return reply.send(
          this.install(client.clientId, code.companyId, code.userId, client.scopes),
        );
      }
      case 'refresh_token': {
        const install = [...this.fx.store.installs.values()].find(
          (i) => i.refreshToken === form.refresh_token && i.clientId === client.clientId,
        );
        if (!install)
          return this.fail(reply, 'invalid_grant', PIPEDRIVE_ERRORS.invalidRefreshToken);
        if (now - install.refreshLastUsed > PIPEDRIVE_OAUTH.refreshTokenIdleTtlSeconds * 1000) {
          return this.fail(reply, 'invalid_grant', PIPEDRIVE_ERRORS.invalidRefreshToken);
        }
        // Reference 3.5: the same refresh token comes back; each use restarts its 60 days.
        install.refreshLastUsed = now;
        return reply.send(
          this.tokenResponse(
            this.issueAccess(install.clientId, install.companyId, install.userId, install.scopes),
            install.refreshToken,
          ),
        );
      }
      case 'exchange_api_token': {
        const apiToken = form.api_token ?? '';
        for (const company of this.fx.store.companies.values()) {
          for (const user of company.users.values()) {
            if (user.apiToken === apiToken && !this.exchangedApiTokens.has(apiToken)) {
              this.exchangedApiTokens.add(apiToken);
              return reply.send(
                this.install(client.clientId, company.company.id, user.id, client.scopes),
              );
            }
          }
        }
        return this.fail(reply, 'invalid_grant', 'Invalid grant: api_token is invalid');
      }
      default:
        return this.fail(reply, 'unsupported_grant_type', PIPEDRIVE_ERRORS.unsupportedGrantType);
    }
  }

  private async revoke(req: FastifyRequest, reply: FastifyReply) {
    const form = this.form(req);
    if (!form) return this.fail(reply, 'invalid_request', PIPEDRIVE_ERRORS.formContentType);
    const client = this.client(req, form);
    if (typeof client === 'string')
      return this.fail(reply, 'invalid_client', PIPEDRIVE_ERRORS.invalidClient);
    const raw = form.token ?? '';
    // The SDK URL-encodes access tokens twice (reference 3.9), so try the decoded form too.
    const candidates = [raw, safeDecode(raw)];
    if (form.token_type_hint === 'refresh_token') {
      const install = [...this.fx.store.installs.values()].find(
        (i) => candidates.includes(i.refreshToken) && i.clientId === client.clientId,
      );
      if (install) await this.uninstall(install.clientId, install.companyId, install.userId);
    } else {
      for (const c of candidates) {
        const t = this.fx.store.accessTokens.get(c);
        if (t && t.clientId === client.clientId) t.revoked = true;
      }
    }
    return reply.code(200).send('');
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export const DEFAULT_APP_SCOPES: readonly string[] = PIPEDRIVE_APP_SCOPES;
