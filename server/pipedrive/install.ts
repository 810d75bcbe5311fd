/**
 * What happens after Pipedrive's OAuth consent, on uninstall, and when webhooks are checked.
 * Pure orchestration over the database and a narrow Pipedrive API (InstallApi), so the flows
 * read top to bottom and the routes stay thin.
 */
import type { Keyring } from '../crypto.ts';
import { deleteCompany, ensureCompany } from '../db/companies.repo.ts';
import type { Database } from '../db/database.ts';
import type { TokenResponse } from '../oauth/token-request.ts';

/** The few Pipedrive calls installation needs (implemented over the Pipedrive client). */
export interface InstallApi {
  me(): Promise<{
    userId: number;
    userName: string;
    userEmail: string;
    companyId: number;
    companyName: string | null;
    companyDomain: string | null;
  }>;
  listWebhooks(): Promise<
    { id: number; subscriptionUrl: string; eventAction: string; eventObject: string }[]
  >;
  createWebhook(input: {
    subscriptionUrl: string;
    eventAction: string;
    eventObject: string;
    httpAuthUser: string;
    httpAuthPassword: string;
    name: string;
  }): Promise<{ id: number }>;
  deleteWebhook(id: number): Promise<void>;
}

/**
 * One v2 subscription with `*` covers create, change and delete (merges arrive as a delete
 * plus a change) while using one of the 40 webhooks a user may have (pipedrive-api.md §7.1–7.2).
 */
const PERSON_EVENTS = { eventAction: '*', eventObject: 'person' } as const;

export function webhookUrl(publicUrl: string, companyId: number): string {
  return `${publicUrl}/webhooks/pipedrive/${companyId}`;
}

export async function completeInstall(
  deps: { db: Database; keyring: Keyring; publicUrl: string },
  token: TokenResponse & { api_domain: string },
  api: InstallApi,
  now = Date.now(),
): Promise<{
  companyId: number;
  userId: number;
  companyDomain: string | null;
  webhooks: WebhookStatus;
}> {
  const me = await api.me();
  await ensureCompany(deps.db, deps.keyring, me.companyId);
  await deps.db
    .insertInto('installations')
    .values({
      company_id: me.companyId,
      user_id: me.userId,
      company_name: me.companyName,
      company_domain: me.companyDomain,
      user_name: me.userName,
      user_email: me.userEmail,
      api_domain: token.api_domain,
      scopes: (token.scope ?? '').split(/[ ,]+/).filter(Boolean),
      access_token: deps.keyring.seal(token.access_token),
      refresh_token: token.refresh_token ? deps.keyring.seal(token.refresh_token) : null,
      access_token_expires_at: new Date(now + token.expires_in * 1000),
      status: 'active',
    })
    .onConflict((oc) =>
      oc.columns(['company_id', 'user_id']).doUpdateSet((eb) => ({
        company_name: eb.ref('excluded.company_name'),
        company_domain: eb.ref('excluded.company_domain'),
        user_name: eb.ref('excluded.user_name'),
        user_email: eb.ref('excluded.user_email'),
        api_domain: eb.ref('excluded.api_domain'),
        scopes: eb.ref('excluded.scopes'),
        access_token: eb.ref('excluded.access_token'),
        refresh_token: eb.ref('excluded.refresh_token'),
        access_token_expires_at: eb.ref('excluded.access_token_expires_at'),
        status: 'active',
        status_reason: null,
        updated_at: new Date(now),
      })),
    )
    .execute();
  const webhooks = await ensureWebhooks(deps, me.companyId, api);
  return { companyId: me.companyId, userId: me.userId, companyDomain: me.companyDomain, webhooks };
}

export type WebhookStatus =
  | { status: 'ok'; ids: number[] }
  | { status: 'missing_rights' | 'failed'; error: string };

/**
 * Makes sure our person webhook exists (reusing one with our URL rather than creating a
 * duplicate, which would double every delivery: §7.2) and records the outcome for the
 * settings page. Also run periodically: Pipedrive bans and removes failing webhooks (§7.6).
 */
export async function ensureWebhooks(
  deps: { db: Database; keyring: Keyring; publicUrl: string },
  companyId: number,
  api: InstallApi,
): Promise<WebhookStatus> {
  const url = webhookUrl(deps.publicUrl, companyId);
  let result: WebhookStatus;
  try {
    const existing = (await api.listWebhooks()).filter((w) => w.subscriptionUrl === url);
    const match = existing.find(
      (w) =>
        w.eventAction === PERSON_EVENTS.eventAction && w.eventObject === PERSON_EVENTS.eventObject,
    );
    if (match) {
      result = { status: 'ok', ids: [match.id] };
    } else {
      const credentials = await ensureCompany(deps.db, deps.keyring, companyId);
      const created = await api.createWebhook({
        ...PERSON_EVENTS,
        subscriptionUrl: url,
        httpAuthUser: credentials.user,
        httpAuthPassword: credentials.password,
        name: 'Constant Contact sync: persons',
      });
      result = { status: 'ok', ids: [created.id] };
    }
  } catch (error) {
    const status = (error as { status?: number }).status;
    result =
      status === 403
        ? {
            status: 'missing_rights',
            error:
              'Pipedrive refused to create the webhook: the installing user needs admin rights. ' +
              'Ask a Pipedrive admin to install (or reinstall) the app.',
          }
        : {
            status: 'failed',
            error: `Could not register the webhook (${status ?? 'no answer'}); it is retried.`,
          };
  }
  await deps.db
    .updateTable('companies')
    .set({
      webhook_ids: result.status === 'ok' ? result.ids : [],
      webhook_status: result.status,
      webhook_error: result.status === 'ok' ? null : result.error,
      webhooks_checked_at: new Date(),
      updated_at: new Date(),
    })
    .where('company_id', '=', companyId)
    .execute();
  return result;
}

/**
 * Pipedrive's uninstall callback for one user. When the last installed user of a company
 * leaves, the company's data goes with it (cascade from `companies`); while others remain,
 * only that user's tokens go.
 */
export async function uninstall(
  db: Database,
  companyId: number,
  userId: number,
): Promise<{ removedUser: boolean; removedCompany: boolean }> {
  return db.transaction().execute(async (trx) => {
    const removed = await trx
      .deleteFrom('installations')
      .where('company_id', '=', companyId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    const left = await trx
      .selectFrom('installations')
      .select('id')
      .where('company_id', '=', companyId)
      .executeTakeFirst();
    const removedCompany = left ? false : await deleteCompany(trx, companyId);
    return { removedUser: Number(removed.numDeletedRows) > 0, removedCompany };
  });
}
