/**
 * Verifies the JWT Pipedrive gives app extensions (iframe URL `token`, and the SDK's
 * GET_SIGNED_TOKEN): HS256 with the extension's JWT secret or the app's client secret, claims
 * `userId`, `companyId`, `iat`, `exp` (5 minutes). Reference: pipedrive-api.md §10.3,
 * https://pipedrive.readme.io/docs/custom-ui-extensions.
 *
 * Written out rather than pulled from a JWT library: it is one algorithm, and pinning it here
 * rules out the `alg: none` / algorithm-confusion family of bugs by construction.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { safeEqual } from '../crypto.ts';

const header = z.object({ alg: z.literal('HS256'), typ: z.string().optional() });
const claims = z.object({
  userId: z.coerce.number().int().positive(),
  companyId: z.coerce.number().int().positive(),
  iat: z.number().optional(),
  exp: z.number(),
});

export type PanelClaims = z.output<typeof claims>;

export type JwtResult =
  | { ok: true; claims: PanelClaims }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

/** Small allowance for clock skew between Pipedrive and us. */
const LEEWAY_SECONDS = 30;

export function verifyPanelJwt(token: string, secret: string, now = Date.now()): JwtResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed' };
  const [encodedHeader, encodedClaims, signature] = parts as [string, string, string];
  const parsedHeader = header.safeParse(decode(encodedHeader));
  if (!parsedHeader.success) return { ok: false, reason: 'malformed' };
  const expected = createHmac('sha256', secret)
    .update(`${encodedHeader}.${encodedClaims}`)
    .digest('base64url');
  if (!safeEqual(signature, expected)) return { ok: false, reason: 'bad_signature' };
  const parsedClaims = claims.safeParse(decode(encodedClaims));
  if (!parsedClaims.success) return { ok: false, reason: 'malformed' };
  if (parsedClaims.data.exp + LEEWAY_SECONDS <= now / 1000) return { ok: false, reason: 'expired' };
  return { ok: true, claims: parsedClaims.data };
}

/** Signs a panel token the way Pipedrive does: for the demo host page and tests. */
export function signPanelJwt(
  payload: { userId: number; companyId: number },
  secret: string,
  options: { now?: number; ttlSeconds?: number } = {},
): string {
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const encodedHeader = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString(
    'base64url',
  );
  const encodedClaims = Buffer.from(
    JSON.stringify({ ...payload, iat, exp: iat + (options.ttlSeconds ?? 300) }),
  ).toString('base64url');
  const signature = createHmac('sha256', secret)
    .update(`${encodedHeader}.${encodedClaims}`)
    .digest('base64url');
  return `${encodedHeader}.${encodedClaims}.${signature}`;
}

function decode(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}
