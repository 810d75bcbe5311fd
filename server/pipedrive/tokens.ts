/** Pipedrive access tokens of one installation, as a TokenSource for the API client. */
import type { TokenSource } from '../api/token-source.ts';
import type { Keyring } from '../crypto.ts';
import type { Database } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { requestToken } from '../oauth/token-request.ts';
import { createTokenSource } from '../oauth/token-store.ts';
import { PIPEDRIVE_OAUTH } from './provider.ts';

export function pipedriveTokenSource(deps: {
  db: Database;
  keyring: Keyring;
  client: { id: string; secret: string; oauthUrl: string };
  installationId: number;
}): TokenSource {
  const { db, keyring, installationId } = deps;
  const open = (value: string | null) => (value === null ? null : keyring.open(value));
  const select = ['access_token', 'refresh_token', 'access_token_expires_at', 'status'] as const;
  const toStored = (row: {
    access_token: string | null;
    refresh_token: string | null;
    access_token_expires_at: Date | null;
    status: string;
  }) =>
    row.status === 'needs_reauth'
      ? undefined
      : {
          accessToken: open(row.access_token),
          refreshToken: open(row.refresh_token),
          expiresAt: row.access_token_expires_at,
        };
  return createTokenSource(db, {
    read: async (d) => {
      const row = await d
        .selectFrom('installations')
        .select(select)
        .where('id', '=', installationId)
        .executeTakeFirst();
      return row && toStored(row);
    },
    lock: async (trx) => {
      const row = await trx
        .selectFrom('installations')
        .select(select)
        .where('id', '=', installationId)
        .forUpdate()
        .executeTakeFirst();
      return row && toStored(row);
    },
    refresh: (refreshToken) =>
      requestToken(`${deps.client.oauthUrl}${PIPEDRIVE_OAUTH.tokenPath}`, deps.client, {
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
      }),
    save: async (trx, tokens, now) => {
      await trx
        .updateTable('installations')
        .set({
          access_token: keyring.seal(tokens.access_token),
          // Pipedrive's refresh token does not rotate (§3.5), but keep a new one if sent.
          ...(tokens.refresh_token ? { refresh_token: keyring.seal(tokens.refresh_token) } : {}),
          access_token_expires_at: new Date(now + tokens.expires_in * 1000),
          ...(tokens.api_domain ? { api_domain: tokens.api_domain } : {}),
          updated_at: new Date(now),
        })
        .where('id', '=', installationId)
        .execute();
    },
    markNeedsReauth: async (trx, reason) => {
      await trx
        .updateTable('installations')
        .set({ status: 'needs_reauth', status_reason: reason, updated_at: new Date() })
        .where('id', '=', installationId)
        .execute();
    },
    unavailable: (reason) => new AppError('PIPEDRIVE_REAUTH_NEEDED', { detail: reason }),
  });
}
