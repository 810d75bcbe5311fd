/**
 * The Pipedrive webhook receiver: check the company's Basic credentials, validate, store and
 * enqueue in one transaction, answer 200 fast. Exact duplicates (the same meta.id, as on a
 * retry) are stored once and enqueue nothing. Unauthenticated or malformed deliveries get a
 * 4xx, never a 5xx: Pipedrive bans a webhook after repeated failures (§7.6), and a 4xx for
 * garbage must not count against a healthy subscription any more than needed.
 *
 * Hot path (target ≥ 2,000 deliveries/s): credentials are cached in memory for a short time,
 * so a delivery costs one transaction with one insert and one job insert.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { fromKysely } from 'pg-boss';
import { z } from 'zod';
import type { AppDeps } from '../../app.ts';
import { safeEqual } from '../../crypto.ts';
import { AppError } from '../../errors.ts';
import { personJobKey, queues } from '../../jobs/queues.ts';
import { webhookPayload } from '../../pipedrive/webhook-payload.ts';

const params = z.object({ companyId: z.coerce.number().int().positive() });

/** A person payload is a few KB; far larger bodies are refused unread. */
const WEBHOOK_BODY_LIMIT = 64 * 1024;
const CREDENTIAL_CACHE_MS = 30_000;

export async function webhookRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const cache = new Map<number, { user: string; password: string; until: number }>();

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

    const stored = await deps.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('webhook_events')
        .values({
          company_id: companyId,
          event_id: meta.id,
          action: meta.action,
          entity: meta.entity,
          entity_id: meta.entity_id,
          payload: JSON.stringify(parsed.data),
        })
        .onConflict((oc) => oc.columns(['company_id', 'event_id']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!row) return false;
      // A merge reports the loser's delete with merged_to_id: the survivor needs a look too.
      const personIds = [meta.entity_id, ...(meta.merged_to_id ? [meta.merged_to_id] : [])];
      for (const personId of personIds) {
        await deps.boss.send(
          'pipedrive.person-changed',
          queues['pipedrive.person-changed'].payload.parse({ companyId, personId }),
          {
            db: fromKysely(trx),
            singletonKey: personJobKey(companyId, personId),
            startAfter: queues['pipedrive.person-changed'].coalesceSeconds,
          },
        );
      }
      return true;
    });
    return { ok: true, duplicate: !stored };
  });
}
