import type { AppApis } from '../app.ts';
import type { Config } from '../config.ts';
import type { Keyring } from '../crypto.ts';
import type { Database } from '../db/database.ts';
import { ensureWebhooks, type WebhookStatus } from '../pipedrive/install.ts';
import { pipedriveTokenSource } from '../pipedrive/tokens.ts';

export interface WebhookCheckDeps {
  db: Database;
  keyring: Keyring;
  config: Readonly<Config>;
  apis: AppApis;
  publicUrl: string;
}

/**
 * Checks every installed company's person webhook and recreates it when Pipedrive removed it.
 * Uses the company's most recently updated active installation (its user created the webhook
 * or can create it again). A company whose check fails is recorded and does not stop the rest.
 */
export async function checkWebhooks(
  deps: WebhookCheckDeps,
): Promise<Record<number, WebhookStatus['status']>> {
  const pipedrive = deps.config.pipedrive;
  if (!pipedrive) return {};
  const installations = await deps.db
    .selectFrom('installations')
    .select(['id', 'company_id', 'api_domain'])
    .distinctOn('company_id')
    .where('status', '=', 'active')
    .orderBy('company_id')
    .orderBy('updated_at', 'desc')
    .execute();
  const outcome: Record<number, WebhookStatus['status']> = {};
  for (const installation of installations) {
    const tokens = pipedriveTokenSource({
      db: deps.db,
      keyring: deps.keyring,
      client: {
        id: pipedrive.clientId,
        secret: pipedrive.clientSecret,
        oauthUrl: pipedrive.oauthUrl,
      },
      installationId: installation.id,
    });
    const api = deps.apis.pipedriveInstall(
      installation.api_domain,
      tokens,
      installation.company_id,
    );
    const result = await ensureWebhooks(deps, installation.company_id, api);
    outcome[installation.company_id] = result.status;
  }
  return outcome;
}
