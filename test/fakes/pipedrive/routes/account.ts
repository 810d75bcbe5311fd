/**
 * Users (reference 3.8), organizations (v2 get/list), filters (6) and webhook subscriptions
 * (7.1, 7.2).
 */
import type { FastifyInstance } from 'fastify';
import { PIPEDRIVE_WEBHOOKS } from '../../../../server/pipedrive/provider.ts';
import {
  ApiError,
  badRequest,
  bodyObject,
  decodeCursor,
  encodeCursor,
  type FakeContext,
  intParam,
  limitParam,
  notFound,
  ok,
  type Query,
  route,
} from '../api.ts';
import { compileFilter } from '../filters.ts';
import { filterV1, orgV2, userV1, webhookV1 } from '../format.ts';
import type { FilterGroup, Webhook } from '../model.ts';

const ACTIONS = ['create', 'change', 'delete', '*'];
const OBJECTS = [
  'activity',
  'deal',
  'lead',
  'note',
  'organization',
  'person',
  'pipeline',
  'product',
  'stage',
  'user',
  '*',
];

export function registerAccountRoutes(app: FastifyInstance, fx: FakeContext): void {
  route(app, fx, 'v1', 'GET', '/users/me', (_req, caller) =>
    ok(userV1(caller.user, caller.company.company, true)),
  );
  route(app, fx, 'v1', 'GET', '/users', (_req, caller) =>
    ok(
      [...caller.company.users.values()].map((u) =>
        userV1(u, caller.company.company, u.id === caller.user.id),
      ),
    ),
  );

  route(app, fx, 'v2', 'GET', '/organizations', (_req, caller, q) => {
    const limit = limitParam(q.limit);
    const after = decodeCursor<{ id: number }>(q.cursor)?.id ?? 0;
    const all = [...caller.company.orgs.values()]
      .filter((o) => !o.is_deleted && o.id > after)
      .sort((a, b) => a.id - b.id);
    const page = all.slice(0, limit);
    const last = page[page.length - 1];
    return ok(
      page.map((o) => orgV2(o, caller.company)),
      {
        next_cursor:
          all.length > limit && last
            ? encodeCursor({ field: 'id', fieldValue: last.id, sortDirection: 'asc', id: last.id })
            : null,
      },
    );
  });
  route(app, fx, 'v2', 'GET', '/organizations/{id}', (req, caller) => {
    const o = caller.company.orgs.get(intParam((req.params as Query).id, 'id'));
    if (!o || o.is_deleted) throw notFound('Organization');
    return ok(orgV2(o, caller.company));
  });

  route(app, fx, 'v1', 'GET', '/filters', (_req, caller, q) => {
    const list = [...caller.company.filters.values()].filter(
      (f) => q.type === undefined || f.type === q.type,
    );
    return ok(list.map((f) => filterV1(f, false)));
  });
  route(app, fx, 'v1', 'GET', '/filters/{id}', (req, caller, q) => {
    const f = caller.company.filters.get(intParam((req.params as Query).id, 'id'));
    if (!f) throw notFound('Filter');
    const codes =
      q.include_field_code === 'true'
        ? new Map(caller.company.personFields.map((x) => [String(x.id), x.key]))
        : undefined;
    return ok(filterV1(f, true, codes));
  });
  route(app, fx, 'v1', 'POST', '/filters', (req, caller) => {
    const body = bodyObject(req);
    if (typeof body.name !== 'string' || !body.name) throw badRequest("Field 'name' is required");
    if (typeof body.type !== 'string') throw badRequest("Field 'type' is required");
    const conditions = body.conditions as
      | { glue?: unknown; conditions?: FilterGroup[] }
      | undefined;
    if (conditions?.glue !== 'and' || !Array.isArray(conditions.conditions)) {
      throw badRequest("Field 'conditions' must be {glue: 'and', conditions: [andGroup, orGroup]}");
    }
    const count = conditions.conditions.reduce((n, g) => n + (g.conditions?.length ?? 0), 0);
    if (count > 16) throw badRequest('A filter takes at most 16 conditions');
    const now = fx.clock.now();
    const id = fx.store.nextId('filter');
    const filter = {
      id,
      companyId: caller.company.company.id,
      name: body.name,
      type: body.type,
      user_id: caller.user.id,
      add_time: now,
      update_time: now,
      visible_to: '3',
      conditions: {
        glue: 'and' as const,
        conditions: conditions.conditions.map((g) => ({
          glue: g.glue,
          conditions: (g.conditions ?? []).map((c) => ({
            object: c.object,
            field_id: String(c.field_id),
            operator: c.operator,
            value: c.value === undefined || c.value === null ? null : String(c.value),
            extra_value: c.extra_value ?? null,
            json_value_flag: false,
          })),
        })),
      },
    };
    if (filter.type === 'people') compileFilter(filter, caller.company);
    caller.company.filters.set(id, filter);
    return ok(filterV1(filter, true));
  });

  route(app, fx, 'v1', 'GET', '/webhooks', (_req, caller) => {
    // Reference 7.2: an app sees only its own webhooks.
    const list = [...caller.company.webhooks.values()].filter(
      (w) => w.clientId === caller.clientId,
    );
    return { body: { success: true, status: 'ok', data: list.map(webhookV1) } };
  });
  route(app, fx, 'v1', 'POST', '/webhooks', async (req, caller) => {
    const body = bodyObject(req);
    const url = body.subscription_url;
    if (typeof url !== 'string' || !/^https?:\/\//.test(url)) {
      return {
        status: 400,
        body: {
          status: 'error',
          success: false,
          errors: { subscription_url: ['invalid or non-reachable URL'] },
        },
      };
    }
    if (typeof body.event_action !== 'string' || !ACTIONS.includes(body.event_action))
      throw badRequest(`Field 'event_action' must be one of ${ACTIONS.join(', ')}`);
    if (typeof body.event_object !== 'string' || !OBJECTS.includes(body.event_object))
      throw badRequest(`Field 'event_object' must be one of ${OBJECTS.join(', ')}`);
    const version = body.version ?? PIPEDRIVE_WEBHOOKS.version;
    if (version !== '1.0' && version !== '2.0')
      throw badRequest("Field 'version' must be '1.0' or '2.0'");
    const userId = body.user_id === undefined ? caller.user.id : body.user_id;
    if (typeof userId !== 'number' || !caller.company.users.has(userId))
      throw badRequest("Field 'user_id' must be a user of the company");
    const mine = [...caller.company.webhooks.values()].filter(
      (w) => w.owner_id === caller.user.id && w.clientId === caller.clientId,
    );
    if (mine.length >= PIPEDRIVE_WEBHOOKS.maxPerUser)
      throw new ApiError(422, 'Webhook limit reached');
    if (fx.behaviour.probeWebhookUrl && !(await probe(url))) {
      return {
        status: 400,
        body: {
          status: 'error',
          success: false,
          errors: { subscription_url: ['invalid or non-reachable URL'] },
        },
      };
    }
    const str = (v: unknown) => (typeof v === 'string' ? v : null);
    const w: Webhook = {
      id: fx.store.nextId('webhook'),
      companyId: caller.company.company.id,
      owner_id: caller.user.id,
      user_id: userId,
      event_action: body.event_action,
      event_object: body.event_object,
      subscription_url: url,
      version,
      name: str(body.name) ?? `${body.event_action}.${body.event_object}`,
      type: caller.clientId ? 'application' : 'general',
      http_auth_user: str(body.http_auth_user),
      http_auth_password: str(body.http_auth_password),
      add_time: fx.clock.now(),
      clientId: caller.clientId,
      last_delivery_time: null,
      last_http_status: null,
      lastSuccessAt: null,
      firstAttemptFailures: 0,
      bannedUntil: null,
    };
    caller.company.webhooks.set(w.id, w);
    return { status: 201, body: { status: 'ok', success: true, data: webhookV1(w) } };
  });
  route(app, fx, 'v1', 'DELETE', '/webhooks/{id}', (req, caller) => {
    const id = intParam((req.params as Query).id, 'id');
    const w = caller.company.webhooks.get(id);
    if (!w) throw notFound('Webhook');
    if (w.clientId !== caller.clientId)
      return {
        status: 403,
        body: { success: false, message: 'You are not allowed to delete this webhook' },
      };
    caller.company.webhooks.delete(id);
    return { body: { status: 'ok', success: true } };
  });
}

async function probe(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(2000),
    });
    return res.status < 500;
  } catch {
    return false;
  }
}
