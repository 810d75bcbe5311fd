/**
 * Access tokens for API clients, refreshed before expiry and after a 401, serialised across
 * every process by a row lock on the row that holds them.
 *
 * Why the lock matters: Constant Contact refresh tokens rotate and reusing an old one fails
 * with invalid_grant, revoking the account's access (constant-contact-api.md §3.7; DESIGN.md
 * §8). So exactly one process refreshes at a time; the others wait on the lock, then find the
 * new token stored and use it. The new tokens are committed before anyone uses them.
 * Pipedrive refresh tokens do not rotate, but the same path keeps one refresh per expiry.
 */
import type { Transaction } from 'kysely';
import type { TokenSource } from '../api/token-source.ts';
import type { Database } from '../db/database.ts';
import type { DB } from '../db/schema.ts';
import { OAuthError, type TokenResponse } from './token-request.ts';

export interface StoredTokens {
  accessToken: string | null;
  refreshToken: string | null;
  expiresAt: Date | null;
}

export interface TokenRow {
  /** Reads the row FOR UPDATE inside `trx`, tokens opened; undefined if it is gone. */
  lock(trx: Transaction<DB>): Promise<StoredTokens | undefined>;
  /** Reads without locking (the fast path). */
  read(db: Database): Promise<StoredTokens | undefined>;
  save(trx: Transaction<DB>, tokens: TokenResponse, now: number): Promise<void>;
  /** The grant is gone: mark the owner as needing re-authorisation. */
  markNeedsReauth(trx: Transaction<DB>, reason: string): Promise<void>;
  /** Calls the token endpoint with the refresh token. */
  refresh(refreshToken: string): Promise<TokenResponse>;
  /** What to throw when the tokens cannot be had (no row, no refresh token, reauth needed). */
  unavailable(reason: string): Error;
}

/** Refresh this long before the stated expiry, so a call never leaves with a dying token. */
const EXPIRY_MARGIN_MS = 5 * 60_000;

export function createTokenSource(
  db: Database,
  row: TokenRow,
  now: () => number = Date.now,
): TokenSource {
  const fresh = (t: StoredTokens): t is StoredTokens & { accessToken: string } =>
    t.accessToken !== null &&
    (t.expiresAt === null || t.expiresAt.getTime() - EXPIRY_MARGIN_MS > now());

  async function refresh(rejected: string | undefined): Promise<string> {
    const outcome = await db.transaction().execute(async (trx) => {
      const stored = await row.lock(trx);
      if (!stored) return { error: 'not connected' };
      // Someone else refreshed while we waited for the lock: use theirs.
      if (fresh(stored) && stored.accessToken !== rejected) return { token: stored.accessToken };
      if (!stored.refreshToken) {
        await row.markNeedsReauth(trx, 'no refresh token');
        return { error: 'no refresh token' };
      }
      try {
        const tokens = await row.refresh(stored.refreshToken);
        await row.save(trx, tokens, now());
        return { token: tokens.access_token };
      } catch (error) {
        if (error instanceof OAuthError && error.needsReauth) {
          await row.markNeedsReauth(trx, error.error);
          return { error: error.error };
        }
        throw error;
      }
    });
    if ('token' in outcome && outcome.token) return outcome.token;
    throw row.unavailable(outcome.error ?? 'unknown');
  }

  return {
    async get() {
      const stored = await row.read(db);
      if (!stored) throw row.unavailable('not connected');
      if (fresh(stored)) return stored.accessToken;
      return refresh(undefined);
    },
    refresh: (rejected) => refresh(rejected),
  };
}
