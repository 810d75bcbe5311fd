/**
 * The Pipedrive webhook receiver: check the company's Basic credentials, validate, store and
 * enqueue in one transaction, answer 200 fast. Exact duplicates (the same meta.id, as on a
 * retry) are stored once and enqueue nothing. Unauthenticated or malformed deliveries get a
 * 4xx, never a 5xx: Pipedrive bans a webhook after repeated failures (§7.6), and a 4xx for
 * garbage must not count against a healthy subscription any more than needed.
 *
 * Hot path (target ≥ 2,000 deliveries/s): credentials are cached in memory for a short time,
 * and deliveries share transactions (group commit, see ../intake.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../app.ts';
import { safeEqual } from '../../crypto.ts';
import { AppError } from '../../errors.ts';
import { webhookPayload } from '../../pipedrive/webhook-payload.ts';
import { IntakeBatcher } from '../intake.ts';

const params = z.object({ companyId: z.coerce.number().int().positive() });

/** A person payload is a few KB; far larger bodies are refused unread. */
const WEBHOOK_BODY_LIMIT = 64 * 1024;
const CREDENTIAL_CACHE_MS = 30_000;

export async function webhookRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const cache = new Map<number, { user: string; password: string; until: number }>();
  const intake = new IntakeBatcher(deps.db, deps.boss);

  async function credentials(companyId: number) {
    const hit = cache.get(companyId);
    if (hit && hit.until > Date.now()) return hit;
    const row = await deps.db
      .selectFrom('companies')
      .select(['webhook_user', 'webhook_password'])
      .where('company_id', '=', companyId)
      .executeTakeFirst();
    if (!row) return undefined;
    const entry = {
      user: row.webhook_user,
      password: deps.keyring.open(row.webhook_password),
      until: Date.now() + CREDENTIAL_CACHE_MS,
    };
    cache.set(companyId, entry);
    return entry;
  }

  async function authenticate(request: FastifyRequest, companyId: number): Promise<void> {
    const header = request.headers.authorization ?? '';
    const match = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
    const decoded = match ? Buffer.from(match[1] as string, 'base64').toString('utf8') : '';
    const colon = decoded.indexOf(':');
    const expected = await credentials(companyId);
    const ok =
      expected !== undefined &&
      colon > 0 &&
      safeEqual(decoded.slice(0, colon), expected.user) &&
      safeEqual(decoded.slice(colon + 1), expected.password);
    if (!ok) throw new AppError('WEBHOOK_UNAUTHENTICATED');
  }

  app.post('/webhooks/pipedrive/:companyId', { bodyLimit: WEBHOOK_BODY_LIMIT }, async (request) => {
    const { companyId } = params.parse(request.params);
    await authenticate(request, companyId);
    const parsed = webhookPayload.safeParse(request.body);
    if (!parsed.success) {
      throw new AppError('WEBHOOK_INVALID', {
        detail: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
    }
    const { meta } = parsed.data;
    if (meta.company_id !== companyId) {
      throw new AppError('WEBHOOK_INVALID', { detail: 'meta.company_id does not match the URL' });
    }
    if (meta.entity !== 'person') return { ok: true, ignored: `entity ${meta.entity}` };

    const stored = await intake.add({
      companyId,
      eventId: meta.id,
      action: meta.action,
      entity: meta.entity,
      entityId: meta.entity_id,
      payload: parsed.data,
      // A merge reports the loser's delete with merged_to_id: the survivor needs a look too.
      personIds: [meta.entity_id, ...(meta.merged_to_id ? [meta.merged_to_id] : [])],
    });
    return { ok: true, duplicate: !stored };
  });
}
