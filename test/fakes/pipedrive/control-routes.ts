/**
 * HTTP mirror of the control methods under /__fake/ (README.md lists every route). Control
 * requests are never rate limited, faulted or logged.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FaultInput } from '../shared/faults.ts';
import { ApiError, type FakeContext } from './api.ts';
import type { PipedriveControl, SeedInput } from './control.ts';
import type { SeedSpec } from './demo.ts';
import { fieldV2, filterV1, personV2, webhookV1 } from './format.ts';
import type { AuthorizeDecision } from './oauth.ts';
import type { Behaviour, RateLimitConfig } from './options.ts';
import type { CompanyStore } from './store.ts';
import type { DeliveryChaos } from './webhooks.ts';

type Body = Record<string, unknown>;
const num = (v: unknown): number => Number(v);

/** HTTP mirror of the control methods under /__fake/. */
export function registerControlRoutes(
  app: FastifyInstance,
  fx: FakeContext,
  control: PipedriveControl,
): void {
  const handle =
    (fn: (body: Body, params: Record<string, string>, query: Record<string, string>) => unknown) =>
    async (req: { body: unknown; params: unknown; query: unknown }, reply: FastifyReply) => {
      try {
        const result = await fn(
          (req.body ?? {}) as Body,
          req.params as Record<string, string>,
          req.query as Record<string, string>,
        );
        return reply.send(result ?? { ok: true });
      } catch (err) {
        const status = err instanceof ApiError ? err.status : 400;
        return reply
          .code(status)
          .send({ ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    };
  const p = '/__fake';
  app.post(
    `${p}/reset`,
    handle((b) => control.reset((b.seed as SeedInput | undefined) ?? undefined)),
  );
  app.post(
    `${p}/seed`,
    handle((b) => control.seed(b as unknown as SeedSpec).map((c) => summary(c))),
  );
  app.get(
    `${p}/store`,
    handle(() => ({
      companies: [...fx.store.companies.values()].map(summary),
      apps: [...fx.store.apps.keys()],
    })),
  );
  app.get(
    `${p}/store/companies/:id`,
    handle((_b, params) => detail(control.company(num(params.id)))),
  );
  app.get(
    `${p}/store/companies/:id/persons`,
    handle((_b, params, q) => {
      const c = control.company(num(params.id));
      const offset = num(q.offset ?? 0);
      const limit = Math.min(num(q.limit ?? 100), 1000);
      return c.personIds.slice(offset, offset + limit).map((id) => {
        const person = c.persons.get(id);
        return person ? personV2(person, c) : null;
      });
    }),
  );
  app.post(
    `${p}/tokens`,
    handle((b) =>
      control.mintToken({
        companyId: num(b.company_id),
        ...(b.user_id !== undefined ? { userId: num(b.user_id) } : {}),
        ...(Array.isArray(b.scopes) ? { scopes: b.scopes as string[] } : {}),
        ...(b.client_id !== undefined ? { clientId: b.client_id as string | null } : {}),
      }),
    ),
  );
  app.post(
    `${p}/tokens/expire`,
    handle((b) => control.expireToken(String(b.token))),
  );
  app.post(
    `${p}/tokens/revoke`,
    handle((b) => control.revokeToken(String(b.token))),
  );
  app.post(
    `${p}/uninstall`,
    handle((b) =>
      control.uninstall({
        companyId: num(b.company_id),
        ...(b.user_id !== undefined ? { userId: num(b.user_id) } : {}),
        ...(typeof b.client_id === 'string' ? { clientId: b.client_id } : {}),
      }),
    ),
  );
  app.post(
    `${p}/oauth/decision`,
    handle((b) => control.setAuthorizeDecision(b as unknown as AuthorizeDecision)),
  );
  app.post(
    `${p}/behaviour`,
    handle((b) => control.setBehaviour(b as Partial<Behaviour>)),
  );
  app.post(
    `${p}/rate-limits`,
    handle((b) => control.setRateLimits(b as Partial<RateLimitConfig>)),
  );
  app.get(
    `${p}/rate-limits/:companyId`,
    handle((_b, params) => ({ tokensUsed: control.tokensUsed(num(params.companyId)) })),
  );
  app.get(
    `${p}/requests`,
    handle(() => control.requests()),
  );
  app.delete(
    `${p}/requests`,
    handle(() => control.clearRequests()),
  );
  app.post(
    `${p}/faults`,
    handle((b) => control.addFault(b as unknown as FaultInput)),
  );
  app.delete(
    `${p}/faults`,
    handle(() => control.clearFaults()),
  );
  const ui = `${p}/ui/companies/:companyId/persons`;
  const uid = (b: Body) => (b.user_id === undefined ? undefined : num(b.user_id));
  app.post(
    ui,
    handle((b, params) =>
      personV2(
        control.ui.createPerson(num(params.companyId), (b.person ?? b) as Body, uid(b)),
        control.company(num(params.companyId)),
      ),
    ),
  );
  app.patch(
    `${ui}/:id`,
    handle((b, params) =>
      personV2(
        control.ui.updatePerson(
          num(params.companyId),
          num(params.id),
          (b.person ?? b) as Body,
          uid(b),
        ),
        control.company(num(params.companyId)),
      ),
    ),
  );
  app.delete(
    `${ui}/:id`,
    handle((_b, params) => control.ui.deletePerson(num(params.companyId), num(params.id))),
  );
  app.post(
    `${ui}/:id/merge`,
    handle((b, params) =>
      personV2(
        control.ui.mergePersons(
          num(params.companyId),
          num(params.id),
          num(b.merge_with_id),
          uid(b),
        ),
        control.company(num(params.companyId)),
      ),
    ),
  );
  app.get(
    `${p}/webhooks/deliveries`,
    handle(() => control.webhooks.deliveries()),
  );
  app.get(
    `${p}/webhooks/sent`,
    handle(() => control.webhooks.sent()),
  );
  app.post(
    `${p}/webhooks/hold`,
    handle(() => control.webhooks.hold()),
  );
  app.post(
    `${p}/webhooks/release`,
    handle((b) => ({
      released: control.webhooks.release(b.order === 'reverse' ? 'reverse' : 'fifo'),
    })),
  );
  app.post(
    `${p}/webhooks/chaos`,
    handle((b) => control.webhooks.setChaos(b as Partial<DeliveryChaos>)),
  );
  app.post(
    `${p}/clock`,
    handle((b) => {
      if (b.set !== undefined)
        fx.clock.set(typeof b.set === 'string' ? Date.parse(b.set) : num(b.set));
      if (b.advance !== undefined) fx.clock.advance(num(b.advance));
      if (b.unpin === true) fx.clock.unpin();
      return { now: new Date(fx.clock.now()).toISOString() };
    }),
  );
  app.post(
    `${p}/purge`,
    handle(() => ({ purged: control.purgeDeleted() })),
  );
}

function summary(c: CompanyStore) {
  return {
    id: c.company.id,
    name: c.company.name,
    domain: c.company.domain,
    plan: c.company.plan,
    users: [...c.users.values()].map((u) => ({
      id: u.id,
      name: u.name,
      email: u.email,
      is_admin: u.isAdmin,
      api_token: u.apiToken,
    })),
    persons: c.persons.size,
    organizations: c.orgs.size,
  };
}

function detail(c: CompanyStore) {
  return {
    ...summary(c),
    personFields: c.personFields.map((f) => fieldV2(f)),
    filters: [...c.filters.values()].map((f) => filterV1(f, true)),
    webhooks: [...c.webhooks.values()].map((w) => ({
      ...webhookV1(w),
      client_id: w.clientId,
      banned_until: w.bannedUntil,
      first_attempt_failures: w.firstAttemptFailures,
    })),
    activities: c.activities.size,
    notes: c.notes.size,
  };
}
