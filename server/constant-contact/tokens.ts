/**
 * Constant Contact access tokens of one company's connection, as a TokenSource.
 *
 * CC specifics (constant-contact-api.md §3.7): refresh tokens rotate and a reused one fails
 * with invalid_grant; the token endpoint allows 1 request/s per application. The row lock in
 * createTokenSource serialises refreshes per account; an advisory lock held for one second
 * around each call keeps all processes together under the endpoint's 1 request/s.
 */
import { sql } from 'kysely';
import type { TokenSource } from '../api/token-source.ts';
import type { Keyring } from '../crypto.ts';
import type { Database } from '../db/database.ts';
import { AppError } from '../errors.ts';
import { OAuthError, requestToken } from '../oauth/token-request.ts';
import { createTokenSource } from '../oauth/token-store.ts';
import { ccOAuth } from './provider.ts';

/** "pd-cc token endpoint", any constant shared by every process. */
const TOKEN_ENDPOINT_LOCK = 7_401_250_114;

export function constantContactTokenSource(deps: {
  db: Database;
  keyring: Keyring;
  client: { id: string; secret: string; oauthUrl: string };
  companyId: number;
}): TokenSource {
  const { db, keyring, companyId } = deps;
  const open = (value: string | null) => (value === null ? null : keyring.open(value));
  const select = [
    'cc_access_token',
    'cc_refresh_token',
    'cc_access_token_expires_at',
    'status',
  ] as const;
  const toStored = (row: {
    cc_access_token: string | null;
    cc_refresh_token: string | null;
    cc_access_token_expires_at: Date | null;
    status: string;
  }) =>
    row.status === 'needs_reauth' || row.cc_access_token === null
      ? undefined
      : {
          accessToken: open(row.cc_access_token),
          refreshToken: open(row.cc_refresh_token),
          expiresAt: row.cc_access_token_expires_at,
        };
  return createTokenSource(db, {
    read: async (d) => {
      const row = await d
        .selectFrom('connections')
        .select(select)
        .where('company_id', '=', companyId)
        .executeTakeFirst();
      return row && toStored(row);
    },
    lock: async (trx) => {
      const row = await trx
        .selectFrom('connections')
        .select(select)
        .where('company_id', '=', companyId)
        .forUpdate()
        .executeTakeFirst();
      if (row) await sql`SELECT pg_advisory_xact_lock(${TOKEN_ENDPOINT_LOCK})`.execute(trx);
      return row && toStored(row);
    },
    refresh: async (refreshToken) => {
      const spacing = 1000 / ccOAuth.tokenEndpointPerSecond;
      for (let attempt = 1; ; attempt++) {
        try {
          return await requestToken(`${deps.client.oauthUrl}${ccOAuth.paths.token}`, deps.client, {
            grant_type: 'refresh_token',
            refresh_token: refreshToken,
          });
        } catch (error) {
          // A 429 means another client of the same app key used this second: the refresh
          // token was not consumed, so trying again a second later is safe.
          if (!(error instanceof OAuthError && error.status === 429) || attempt >= 3) throw error;
        } finally {
          // Hold the endpoint lock until a second has passed since this call (1 request/s).
          await new Promise((r) => setTimeout(r, spacing));
        }
      }
    },
    save: async (trx, tokens, now) => {
      await trx
        .updateTable('connections')
        .set({
          cc_access_token: keyring.seal(tokens.access_token),
          // Rotation: the old refresh token is dead from this moment; store the new one now.
          ...(tokens.refresh_token ? { cc_refresh_token: keyring.seal(tokens.refresh_token) } : {}),
          cc_access_token_expires_at: new Date(now + tokens.expires_in * 1000),
          updated_at: new Date(now),
        })
        .where('company_id', '=', companyId)
        .execute();
    },
    markNeedsReauth: async (trx, reason) => {
      await trx
        .updateTable('connections')
        .set({ status: 'needs_reauth', status_reason: reason, updated_at: new Date() })
        .where('company_id', '=', companyId)
        .execute();
    },
    unavailable: (reason) => new AppError('CC_REAUTH_NEEDED', { detail: reason }),
  });
}
