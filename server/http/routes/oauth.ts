/**
 * OAuth with both providers, through @fastify/oauth2:
 *
 * - Pipedrive install: `/auth/pipedrive` (register it as the app's Installation URL, so every
 *   install, from the Marketplace too, passes here and gets a signed state) → consent →
 *   `/auth/pipedrive/callback` → code exchange, /v1/users/me, installation upsert, webhooks.
 *   `DELETE /auth/pipedrive/callback` is Pipedrive's uninstall notification (§3.9).
 * - Constant Contact connect, started from the settings page: the panel API hands out a
 *   signed 5-minute ticket naming the company; `/auth/constant-contact?ticket=…` starts the
 *   flow with PKCE (S256) and `offline_access`; the callback stores the tokens.
 *
 * State is an HMAC-signed, expiring value (any process can check it) that must also equal
 * the state cookie the start route set, binding the flow to the browser that began it. Every
 * failure a person can cause (deny, stale link, forged state) gets a 4xx page, never a 500.
 */
import oauthPlugin, { type OAuth2Namespace } from '@fastify/oauth2';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../app.ts';
import { ccOAuth } from '../../constant-contact/provider.ts';
import { randomSecret, safeEqual, signValue, verifySignedValue } from '../../crypto.ts';
import { tokenResponse } from '../../oauth/token-request.ts';
import { completeInstall, uninstall } from '../../pipedrive/install.ts';
import { PIPEDRIVE_OAUTH } from '../../pipedrive/provider.ts';
import { page } from '../page.ts';

declare module 'fastify' {
  interface FastifyInstance {
    pipedriveOAuth2: OAuth2Namespace;
    constantContactOAuth2: OAuth2Namespace;
  }
}

const STATE_TTL_SECONDS = 10 * 60;
const TICKET_TTL_SECONDS = 5 * 60;
const STATE_COOKIE = 'oauth2-redirect-state';

const callbackQuery = z.object({
  code: z.string().optional(),
  state: z.string().optional(),
  error: z.string().optional(),
});

const uninstallBody = z.object({
  client_id: z.string(),
  company_id: z.coerce.number().int().positive(),
  user_id: z.coerce.number().int().positive(),
  timestamp: z.union([z.string(), z.number()]).optional(),
});

/** The URL the settings page opens to connect Constant Contact: a signed 5-minute ticket. */
export function constantContactConnectUrl(
  deps: AppDeps,
  companyId: number,
  userId: number,
): string {
  const ticket = signValue(
    { p: 'cc-ticket', companyId, userId },
    deps.keyring.derive('oauth-state'),
    TICKET_TTL_SECONDS,
  );
  return `${deps.publicUrl}/auth/constant-contact?ticket=${encodeURIComponent(ticket)}`;
}

function badRequest(
  reply: FastifyReply,
  title: string,
  message: string,
  link?: { href: string; text: string },
) {
  return reply
    .code(400)
    .type('text/html')
    .send(page({ title, message, ...(link ? { link } : {}) }));
}

export async function oauthRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const secret = deps.keyring.derive('oauth-state');
  const sign = (payload: Record<string, unknown>) =>
    signValue({ ...payload, n: randomSecret(9) }, secret, STATE_TTL_SECONDS);
  /** The state is ours, fresh, for this flow, and the one this browser was given. */
  const checkState = (purpose: string) => (request: FastifyRequest) => {
    const { state } = callbackQuery.parse(request.query);
    const cookie = request.cookies?.[STATE_COOKIE];
    if (!state || !cookie || !safeEqual(state, cookie)) return false;
    const result = verifySignedValue(state, secret);
    return result.ok && result.payload.p === purpose;
  };
  const statePayload = (request: FastifyRequest) => {
    const result = verifySignedValue(callbackQuery.parse(request.query).state ?? '', secret);
    return result.ok ? result.payload : {};
  };

  const { pipedrive, constantContact } = deps.config;
  /** Where Pipedrive shows the app's settings page (the demo plays Pipedrive at /demo). */
  const settingsUrl = (companyDomain: string | null) =>
    deps.config.demo
      ? `${deps.publicUrl}/demo`
      : `https://${companyDomain ?? 'app'}.pipedrive.com/settings/marketplace/app/${pipedrive?.clientId}/app-settings`;
  if (pipedrive) {
    await app.register(oauthPlugin, {
      name: 'pipedriveOAuth2',
      credentials: {
        client: { id: pipedrive.clientId, secret: pipedrive.clientSecret },
        auth: {
          authorizeHost: pipedrive.oauthUrl,
          authorizePath: PIPEDRIVE_OAUTH.authorizePath,
          tokenHost: pipedrive.oauthUrl,
          tokenPath: PIPEDRIVE_OAUTH.tokenPath,
        },
      },
      startRedirectPath: '/auth/pipedrive',
      callbackUri: `${deps.publicUrl}/auth/pipedrive/callback`,
      generateStateFunction: () => sign({ p: 'pipedrive' }),
      checkStateFunction: checkState('pipedrive'),
    });

    app.get('/auth/pipedrive/callback', async (request, reply) => {
      const query = callbackQuery.parse(request.query);
      const retry = {
        href: `${deps.publicUrl}/auth/pipedrive`,
        text: 'Start the installation again',
      };
      if (query.error) {
        return badRequest(
          reply,
          'Installation cancelled',
          query.error === 'user_denied'
            ? 'You did not allow the app to access Pipedrive, so nothing was installed.'
            : `Pipedrive did not complete the installation (${query.error}).`,
          retry,
        );
      }
      if (!checkState('pipedrive')(request)) {
        return badRequest(
          reply,
          'This installation link is not valid',
          'The link expired or was not started here. Start the installation again.',
          retry,
        );
      }
      let token: z.output<typeof tokenResponse> & { api_domain: string };
      try {
        const result = await app.pipedriveOAuth2.getAccessTokenFromAuthorizationCodeFlow(
          request,
          reply,
        );
        token = tokenResponse.extend({ api_domain: z.string().url() }).parse(result.token);
      } catch (error) {
        request.log.warn({ err: error }, 'Pipedrive code exchange failed');
        return badRequest(
          reply,
          'Installation not completed',
          'Pipedrive did not accept the authorisation code (it may have expired). Start again.',
          retry,
        );
      }
      const installed = await completeInstall(
        { db: deps.db, keyring: deps.keyring, publicUrl: deps.publicUrl },
        token,
        deps.apis.pipedriveInstall(token.api_domain, {
          get: async () => token.access_token,
          refresh: async () => token.access_token,
        }),
      );
      request.log.info(
        { companyId: installed.companyId, webhooks: installed.webhooks.status },
        'installed',
      );
      return reply.type('text/html').send(
        page({
          title: 'Constant Contact Sync is installed',
          message:
            installed.webhooks.status === 'ok'
              ? 'Open the app settings in Pipedrive to connect Constant Contact.'
              : `Installed, but: ${installed.webhooks.error}`,
          link: { href: settingsUrl(installed.companyDomain), text: 'Open the app settings' },
        }),
      );
    });

    // Uninstall (§3.9): Basic auth with our own client credentials, then the company's data goes.
    app.delete('/auth/pipedrive/callback', async (request, reply) => {
      const expected = `Basic ${Buffer.from(`${pipedrive.clientId}:${pipedrive.clientSecret}`).toString('base64')}`;
      if (!safeEqual(request.headers.authorization ?? '', expected)) {
        return reply.code(401).send({ error: { code: 'UNINSTALL_UNAUTHENTICATED' } });
      }
      const body = uninstallBody.parse(request.body);
      const result = await uninstall(deps.db, body.company_id, body.user_id);
      request.log.info(
        { companyId: body.company_id, userId: body.user_id, ...result },
        'uninstalled',
      );
      return { ok: true };
    });
  }

  if (constantContact) {
    await app.register(oauthPlugin, {
      name: 'constantContactOAuth2',
      scope: [...ccOAuth.requiredScopes],
      credentials: {
        client: { id: constantContact.clientId, secret: constantContact.clientSecret },
        auth: {
          authorizeHost: constantContact.oauthUrl,
          authorizePath: ccOAuth.paths.authorize,
          tokenHost: constantContact.oauthUrl,
          tokenPath: ccOAuth.paths.token,
        },
      },
      pkce: 'S256',
      callbackUri: `${deps.publicUrl}/auth/constant-contact/callback`,
      generateStateFunction: (request: FastifyRequest) => {
        const ticket = verifyTicket(request);
        if (!ticket) throw new Error('no valid ticket');
        return sign({ p: 'constant-contact', companyId: ticket.companyId, userId: ticket.userId });
      },
      checkStateFunction: checkState('constant-contact'),
    });

    const verifyTicket = (request: FastifyRequest) => {
      const ticket = z.object({ ticket: z.string() }).safeParse(request.query);
      const result = ticket.success ? verifySignedValue(ticket.data.ticket, secret) : undefined;
      if (!result?.ok || result.payload.p !== 'cc-ticket') return undefined;
      return { companyId: Number(result.payload.companyId), userId: Number(result.payload.userId) };
    };

    app.get('/auth/constant-contact', async (request, reply) => {
      if (!verifyTicket(request)) {
        return badRequest(
          reply,
          'This link expired',
          'Open the app settings in Pipedrive and choose Connect Constant Contact again.',
        );
      }
      return reply.redirect(
        await app.constantContactOAuth2.generateAuthorizationUri(request, reply),
      );
    });

    app.get('/auth/constant-contact/callback', async (request, reply) => {
      const query = callbackQuery.parse(request.query);
      if (query.error) {
        return badRequest(
          reply,
          'Constant Contact not connected',
          query.error === 'access_denied'
            ? 'You did not allow access to Constant Contact, so nothing changed. You can close this window.'
            : `Constant Contact did not complete the connection (${query.error}).`,
        );
      }
      if (!checkState('constant-contact')(request)) {
        return badRequest(
          reply,
          'This link is not valid',
          'The link expired or was not started here. Choose Connect Constant Contact again in the app settings.',
        );
      }
      const { companyId } = z.object({ companyId: z.number() }).parse(statePayload(request));
      let token: z.output<typeof tokenResponse>;
      try {
        token = tokenResponse.parse(
          (await app.constantContactOAuth2.getAccessTokenFromAuthorizationCodeFlow(request, reply))
            .token,
        );
      } catch (error) {
        request.log.warn({ err: error }, 'Constant Contact code exchange failed');
        return badRequest(
          reply,
          'Constant Contact not connected',
          'Constant Contact did not accept the authorisation (it may have expired). Try again from the app settings.',
        );
      }
      if (!token.refresh_token) {
        return badRequest(
          reply,
          'Constant Contact not connected',
          'Constant Contact granted no refresh token (offline access), so the sync could not run unattended. Try again and allow offline access.',
        );
      }
      const account = await deps.apis
        .ccAccount({ get: async () => token.access_token, refresh: async () => token.access_token })
        .summary();
      const outcome = await connectConstantContact(deps, companyId, account, token);
      if (outcome === 'different_account') {
        return badRequest(
          reply,
          'A different Constant Contact account',
          `This company is linked to another Constant Contact account. To switch to “${account.name}”, disconnect the current account in the app settings first.`,
        );
      }
      return reply.type('text/html').send(
        page({
          title: 'Constant Contact connected',
          message: `Connected to “${account.name}”. You can close this window and return to Pipedrive.`,
        }),
      );
    });
  }
}

/**
 * Stores a CC connection. Reconnecting after `needs_reauth` leaves the connection paused, so
 * the admin resumes it knowingly; connecting another account while links exist is refused,
 * since every link points at contacts of the first account.
 */
async function connectConstantContact(
  deps: AppDeps,
  companyId: number,
  account: { accountId: string; name: string },
  token: z.output<typeof tokenResponse>,
): Promise<'connected' | 'different_account'> {
  return deps.db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('connections')
      .select(['id', 'cc_account_id', 'status'])
      .where('company_id', '=', companyId)
      .forUpdate()
      .executeTakeFirst();
    if (existing?.cc_account_id && existing.cc_account_id !== account.accountId) {
      const link = await trx
        .selectFrom('links')
        .select('id')
        .where('connection_id', '=', existing.id)
        .executeTakeFirst();
      if (link) return 'different_account';
    }
    const values = {
      cc_account_id: account.accountId,
      cc_account_name: account.name,
      cc_access_token: deps.keyring.seal(token.access_token),
      cc_refresh_token: deps.keyring.seal(token.refresh_token as string),
      cc_access_token_expires_at: new Date(Date.now() + token.expires_in * 1000),
      status_reason: null,
      updated_at: new Date(),
    };
    if (existing) {
      await trx
        .updateTable('connections')
        .set({ ...values, status: existing.status === 'needs_reauth' ? 'paused' : existing.status })
        .where('id', '=', existing.id)
        .execute();
    } else {
      await trx
        .insertInto('connections')
        .values({ company_id: companyId, ...values })
        .execute();
    }
    return 'connected';
  });
}
