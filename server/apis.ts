/**
 * Builds the provider clients the app uses, over one shared CC limiter and Pipedrive budget
 * (both in PostgreSQL, so every process draws on the same counts).
 */

import { createCcLimiter } from './api/cc-limiter.ts';
import { createPipedriveBudget } from './api/pipedrive-budget.ts';
import type { TokenSource } from './api/token-source.ts';
import type { AppApis } from './app.ts';
import type { Config } from './config.ts';
import { createCcClient } from './constant-contact/client.ts';
import { constantContactTokenSource } from './constant-contact/tokens.ts';
import type { Keyring } from './crypto.ts';
import type { Database } from './db/database.ts';
import { AppError } from './errors.ts';
import { createPipedriveClient } from './pipedrive/client.ts';
import type { InstallApi } from './pipedrive/install.ts';
import { pipedriveTokenSource } from './pipedrive/tokens.ts';

/**
 * The company of a fresh token is unknown until /v1/users/me answers; that one call is
 * counted against company 0, a bucket no real company has.
 */
const UNKNOWN_COMPANY = 0;

export function createApis(db: Database, config: Readonly<Config>, keyring: Keyring): AppApis {
  const budget = createPipedriveBudget(db, { share: config.budgets.pipedriveShare });
  const limiter = config.constantContact
    ? createCcLimiter(db, {
        clientId: config.constantContact.clientId,
        perSecond: config.budgets.ccPerSecond,
        perDay: config.budgets.ccPerDay,
      })
    : undefined;

  const pipedrive = (apiDomain: string, companyId: number, tokens: TokenSource) =>
    createPipedriveClient({ apiDomain, companyId, tokens, budget });

  return {
    async forCompany(companyId, priority) {
      const pd = config.pipedrive;
      const cc = config.constantContact;
      if (!pd)
        throw new AppError('PIPEDRIVE_REAUTH_NEEDED', { detail: 'Pipedrive is not configured' });
      if (!cc || !limiter) throw new AppError('CC_NOT_CONFIGURED');
      // The most recently refreshed active installation acts for the company.
      const installation = await db
        .selectFrom('installations')
        .select(['id', 'api_domain'])
        .where('company_id', '=', companyId)
        .where('status', '=', 'active')
        .orderBy('updated_at', 'desc')
        .executeTakeFirst();
      if (!installation)
        throw new AppError('PIPEDRIVE_REAUTH_NEEDED', { detail: 'no active installation' });
      const connection = await db
        .selectFrom('connections')
        .select('cc_account_id')
        .where('company_id', '=', companyId)
        .executeTakeFirst();
      return {
        pipedrive: pipedrive(
          installation.api_domain,
          companyId,
          pipedriveTokenSource({
            db,
            keyring,
            client: { id: pd.clientId, secret: pd.clientSecret, oauthUrl: pd.oauthUrl },
            installationId: installation.id,
          }),
        ),
        cc: createCcClient({
          origin: cc.apiUrl,
          account: connection?.cc_account_id ?? `company-${companyId}`,
          tokens: constantContactTokenSource({
            db,
            keyring,
            client: { id: cc.clientId, secret: cc.clientSecret, oauthUrl: cc.oauthUrl },
            companyId,
          }),
          limiter,
          priority,
        }),
      };
    },
    pipedriveInstall(apiDomain, tokens, companyId = UNKNOWN_COMPANY): InstallApi {
      let client = pipedrive(apiDomain, companyId, tokens);
      return {
        async me() {
          const me = await client.users.me();
          client = pipedrive(apiDomain, me.company_id, tokens);
          return {
            userId: me.id,
            userName: me.name,
            userEmail: me.email,
            companyId: me.company_id,
            companyName: me.company_name ?? null,
            companyDomain: me.company_domain ?? null,
          };
        },
        listWebhooks: async () =>
          (await client.webhooks.list()).map((w) => ({
            id: w.id,
            subscriptionUrl: w.subscription_url,
            eventAction: w.event_action,
            eventObject: w.event_object,
          })),
        createWebhook: async (input) =>
          client.webhooks.create({
            subscription_url: input.subscriptionUrl,
            event_action: input.eventAction,
            event_object: input.eventObject,
            http_auth_user: input.httpAuthUser,
            http_auth_password: input.httpAuthPassword,
            name: input.name,
            version: '2.0',
          } as Parameters<typeof client.webhooks.create>[0]),
        deleteWebhook: async (id) => {
          await client.webhooks.delete(id);
        },
      };
    },
    ccAccount(tokens) {
      if (!config.constantContact || !limiter)
        throw new Error('Constant Contact is not configured');
      const client = createCcClient({
        origin: config.constantContact.apiUrl,
        account: 'connect',
        tokens,
        limiter,
        priority: 'interactive',
      });
      return {
        summary: async () => {
          const summary = await client.account.summary();
          return {
            accountId: summary.encoded_account_id,
            name: summary.organization_name ?? summary.encoded_account_id,
          };
        },
      };
    },
  };
}
