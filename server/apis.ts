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
import type { Database } from './db/database.ts';
import { createPipedriveClient } from './pipedrive/client.ts';
import type { InstallApi } from './pipedrive/install.ts';

/**
 * The company of a fresh token is unknown until /v1/users/me answers; that one call is
 * counted against company 0, a bucket no real company has.
 */
const UNKNOWN_COMPANY = 0;

export function createApis(db: Database, config: Readonly<Config>): AppApis {
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
