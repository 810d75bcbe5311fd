/**
 * One OAuth token-endpoint call (RFC 6749 §4.1.3 / §6): form body, client credentials in a
 * Basic header, JSON answer. Used for refreshes of both providers; the authorization-code
 * exchange goes through @fastify/oauth2. Errors carry the OAuth `error` code (e.g.
 * `invalid_grant`) and never the tokens that were sent.
 */
import { z } from 'zod';

export const tokenResponse = z
  .object({
    access_token: z.string().min(1),
    refresh_token: z.string().min(1).optional(),
    expires_in: z.coerce.number().positive(),
    scope: z.string().optional(),
    token_type: z.string().optional(),
    /** Pipedrive only: the company's API host (pipedrive-api.md §3.4). */
    api_domain: z.string().optional(),
  })
  .loose();

export type TokenResponse = z.output<typeof tokenResponse>;

export class OAuthError extends Error {
  override readonly name = 'OAuthError';
  constructor(
    /** The OAuth error code, e.g. `invalid_grant`, or `http_<status>` / `network`. */
    readonly error: string,
    readonly status: number | undefined,
    description: string,
  ) {
    super(`token endpoint answered ${error}${description ? `: ${description}` : ''}`);
  }

  /** The grant is gone for good (revoked, expired, reused): only a new consent helps. */
  get needsReauth(): boolean {
    return (
      this.error === 'invalid_grant' ||
      this.error === 'invalid_client' ||
      this.error === 'unauthorized_client'
    );
  }
}

export async function requestToken(
  tokenUrl: string,
  client: { id: string; secret: string },
  form: Record<string, string>,
  options: { timeoutMs?: number } = {},
): Promise<TokenResponse> {
  let response: Response;
  try {
    response = await fetch(tokenUrl, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
  } catch (error) {
    throw new OAuthError(
      'network',
      undefined,
      error instanceof Error ? error.name : 'request failed',
    );
  }
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const parsed = z
      .object({ error: z.string(), error_description: z.string().optional() })
      .safeParse(body);
    throw new OAuthError(
      parsed.success ? parsed.data.error : `http_${response.status}`,
      response.status,
      parsed.success ? (parsed.data.error_description ?? '') : '',
    );
  }
  const parsed = tokenResponse.safeParse(body);
  if (!parsed.success) {
    throw new OAuthError(
      'invalid_response',
      response.status,
      parsed.error.issues.map((i) => i.path.join('.')).join(', '),
    );
  }
  return parsed.data;
}
