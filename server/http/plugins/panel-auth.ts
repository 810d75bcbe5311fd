/**
 * Authorises every request from the two extension iframes: `Authorization: Bearer <jwt>` with
 * the SDK's signed token (HS256, 5 minutes; pipedrive-api.md §10.3), whose company and user
 * must have installed the app. Routes read `request.panel` and scope every query to its
 * company; nothing from the query string is trusted for identity.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Database } from '../../db/database.ts';
import { AppError } from '../../errors.ts';
import { verifyPanelJwt } from '../../pipedrive/jwt.ts';

export interface PanelIdentity {
  companyId: number;
  userId: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    panel: PanelIdentity;
  }
}

export const panelAuthPlugin = fp(
  async (app: FastifyInstance, options: { db: Database; jwtSecret: string | undefined }) => {
    app.decorateRequest('panel', null as unknown as PanelIdentity);
    app.addHook('onRequest', async (request: FastifyRequest) => {
      if (!options.jwtSecret)
        throw new AppError('PANEL_UNAUTHENTICATED', { detail: 'no JWT secret configured' });
      const token = /^Bearer (\S+)$/.exec(request.headers.authorization ?? '')?.[1];
      if (!token) throw new AppError('PANEL_UNAUTHENTICATED', { detail: 'missing token' });
      const result = verifyPanelJwt(token, options.jwtSecret);
      if (!result.ok) throw new AppError('PANEL_UNAUTHENTICATED', { detail: result.reason });
      const { companyId, userId } = result.claims;
      const installed = await options.db
        .selectFrom('installations')
        .select('id')
        .where('company_id', '=', companyId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (!installed) throw new AppError('PANEL_NOT_INSTALLED');
      request.panel = { companyId, userId };
    });
  },
  { name: 'panel-auth' },
);
