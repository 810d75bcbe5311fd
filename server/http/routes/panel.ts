/**
 * The JSON API behind the two extension iframes. Every route runs behind panel-auth (signed
 * Pipedrive JWT → company and user) and scopes every query to that company. Response shapes
 * are exported as types for the extension (`import type`), so server and panels cannot drift.
 */
import type { FastifyInstance } from 'fastify';
import { type BudgetReadout, readBudgets } from '../../api/budget-readout.ts';
import type { AppDeps } from '../../app.ts';
import { AppError } from '../../errors.ts';
import { panelAuthPlugin } from '../plugins/panel-auth.ts';
import { constantContactConnectUrl } from './oauth.ts';
import { syncRoutes } from './sync.ts';

export interface SessionResponse {
  companyId: number;
  userId: number;
  company: { name: string | null; domain: string | null };
  user: { name: string | null; email: string | null; status: string; statusReason: string | null };
  webhooks: { status: string; error: string | null; checkedAt: string | null };
  constantContact:
    | { connected: false }
    | {
        connected: true;
        accountId: string | null;
        accountName: string | null;
        status: string;
        statusReason: string | null;
      };
}

export type BudgetResponse = BudgetReadout;

export async function panelRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  await app.register(panelAuthPlugin, { db: deps.db, jwtSecret: deps.config.pipedrive?.jwtSecret });
  await syncRoutes(app, deps);

  app.get('/api/session', async (request): Promise<SessionResponse> => {
    const { companyId, userId } = request.panel;
    const [installation, company, connection] = await Promise.all([
      deps.db
        .selectFrom('installations')
        .select([
          'company_name',
          'company_domain',
          'user_name',
          'user_email',
          'status',
          'status_reason',
        ])
        .where('company_id', '=', companyId)
        .where('user_id', '=', userId)
        .executeTakeFirstOrThrow(),
      deps.db
        .selectFrom('companies')
        .select(['webhook_status', 'webhook_error', 'webhooks_checked_at'])
        .where('company_id', '=', companyId)
        .executeTakeFirstOrThrow(),
      deps.db
        .selectFrom('connections')
        .select(['cc_account_id', 'cc_account_name', 'cc_access_token', 'status', 'status_reason'])
        .where('company_id', '=', companyId)
        .executeTakeFirst(),
    ]);
    return {
      companyId,
      userId,
      company: { name: installation.company_name, domain: installation.company_domain },
      user: {
        name: installation.user_name,
        email: installation.user_email,
        status: installation.status,
        statusReason: installation.status_reason,
      },
      webhooks: {
        status: company.webhook_status,
        error: company.webhook_error,
        checkedAt: company.webhooks_checked_at?.toISOString() ?? null,
      },
      constantContact:
        connection && (connection.cc_access_token || connection.status === 'needs_reauth')
          ? {
              connected: true,
              accountId: connection.cc_account_id,
              accountName: connection.cc_account_name,
              status: connection.status,
              statusReason: connection.status_reason,
            }
          : { connected: false },
    };
  });

  app.post('/api/constant-contact/connect', async (request) => {
    if (!deps.config.constantContact) throw new AppError('CC_NOT_CONFIGURED');
    return { url: constantContactConnectUrl(deps, request.panel.companyId, request.panel.userId) };
  });

  /**
   * Forgets the CC tokens (and asks CC to revoke them, best effort). Settings and links stay,
   * so reconnecting the same account resumes where it was.
   */
  app.post('/api/constant-contact/disconnect', async (request) => {
    const { companyId } = request.panel;
    const row = await deps.db
      .updateTable('connections')
      .set({
        cc_access_token: null,
        cc_refresh_token: null,
        cc_access_token_expires_at: null,
        status: 'setup',
        updated_at: new Date(),
      })
      .where('company_id', '=', companyId)
      .returning('id')
      .executeTakeFirst();
    request.log.info({ companyId, disconnected: Boolean(row) }, 'Constant Contact disconnected');
    return { ok: true };
  });

  app.get('/api/budget', async (request): Promise<BudgetResponse> => {
    const { companyId } = request.panel;
    const connection = await deps.db
      .selectFrom('connections')
      .select('cc_account_id')
      .where('company_id', '=', companyId)
      .executeTakeFirst();
    const cc = deps.config.constantContact;
    return readBudgets(deps.db, {
      pipedrive: { companyId, share: deps.config.budgets.pipedriveShare },
      ...(cc
        ? {
            constantContact: {
              clientId: cc.clientId,
              perDay: deps.config.budgets.ccPerDay,
              ...(connection?.cc_account_id ? { account: connection.cc_account_id } : {}),
            },
          }
        : {}),
    });
  });
}
