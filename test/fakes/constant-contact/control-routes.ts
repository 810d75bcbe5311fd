/**
 * `/__fake/*` HTTP routes of the control surface; each calls the `Control` method of the same
 * name (control.ts), so the standalone fake and in-process tests share one implementation.
 */
import type { FastifyInstance } from 'fastify';
import type { FaultInput } from '../shared/faults.ts';
import type { Behaviour } from './behaviour.ts';
import type { Control, UiEdit } from './control.ts';
import type { SeedInput } from './demo.ts';
import { CcHttpError } from './errors.ts';
import type { RateLimitOptions } from './rate-limit.ts';
import type { Permission, TrackingKind } from './store.ts';
import type { EngagementInput } from './tracking.ts';

type Body = Record<string, unknown>;
type Params = { accountId: string; contactId: string };

/** `/__fake/*` routes; each calls the control method of the same name. */
export function registerControlRoutes(app: FastifyInstance, c: Control): void {
  const body = (raw: unknown): Body => (raw && typeof raw === 'object' ? (raw as Body) : {});
  app.post('/__fake/reset', async (r) => {
    c.reset(body(r.body).seed as SeedInput | undefined);
    return c.summary();
  });
  app.post('/__fake/seed', async (r) => {
    c.seed((body(r.body).seed ?? 'demo') as SeedInput);
    return c.summary();
  });
  app.get('/__fake/store', async () => c.summary());
  app.get<{ Params: Params }>('/__fake/store/:accountId/contacts/:contactId', async (r) => {
    const contact = c.contact(r.params.accountId, r.params.contactId);
    if (!contact) throw new CcHttpError(404, { error: 'not found' });
    return contact;
  });
  app.get<{ Params: { accountId: string }; Querystring: { email?: string } }>(
    '/__fake/store/:accountId/contacts',
    async (r) => c.contactByEmail(r.params.accountId, r.query.email ?? '') ?? null,
  );
  app.post('/__fake/accounts', async (r) => {
    c.addAccount(body(r.body) as { accountId: string });
    return c.summary();
  });
  app.post('/__fake/oauth/approve-as', async (r) => {
    c.approveAs(String(body(r.body).accountId));
    return { approveAccountId: c.summary().approveAccountId };
  });
  app.post('/__fake/oauth/apps', async (r) => {
    c.registerApp(body(r.body) as Parameters<Control['registerApp']>[0]);
    return c.summary().apps;
  });
  app.post('/__fake/tokens', async (r) =>
    c.mintToken(body(r.body) as Parameters<Control['mintToken']>[0]),
  );
  app.post<{ Params: { grantId: string } }>('/__fake/grants/:grantId/revoke', async (r) => {
    c.revokeGrant(r.params.grantId);
    return { revoked: r.params.grantId };
  });
  app.put('/__fake/config', async (r) => {
    const b = body(r.body);
    if (typeof b.activityDelayMs === 'number') c.setActivityDelay(b.activityDelayMs);
    return {
      behaviour: c.setBehaviour(body(b.behaviour) as Partial<Behaviour>),
      rateLimits: c.setRateLimits(body(b.rateLimits) as Partial<RateLimitOptions>),
    };
  });
  app.post('/__fake/activities/run', async () => {
    c.runActivities();
    return { ok: true };
  });
  app.get('/__fake/requests', async () => c.requests());
  app.delete('/__fake/requests', async () => {
    c.clearRequests();
    return { ok: true };
  });
  app.post('/__fake/faults', async (r) => {
    c.addFault(body(r.body) as FaultInput);
    return { ok: true };
  });
  app.delete('/__fake/faults', async () => {
    c.clearFaults();
    return { ok: true };
  });
  app.get('/__fake/clock', async () => c.clock());
  app.post('/__fake/clock', async (r) =>
    c.setClock(body(r.body) as Parameters<Control['setClock']>[0]),
  );
  app.get('/__fake/permission-attempts', async () => c.permissionAttempts());
  app.get<{ Querystring: { clientId?: string; since?: string } }>('/__fake/api-spend', async (r) =>
    c.apiSpend(r.query.clientId ?? '', Number(r.query.since ?? 0)),
  );
  app.get<{ Querystring: { clientId?: string } }>('/__fake/rate-limits/usage', async (r) => ({
    clientId: r.query.clientId,
    usedToday: c.usedToday(r.query.clientId ?? ''),
  }));
  app.post<{ Params: Params }>(
    '/__fake/accounts/:accountId/contacts/:contactId/unsubscribe',
    async (r) =>
      c.unsubscribe(
        r.params.accountId,
        r.params.contactId,
        body(r.body) as { at?: number; reason?: string },
      ),
  );
  app.post<{ Params: Params }>(
    '/__fake/accounts/:accountId/contacts/:contactId/ui-edit',
    async (r) => c.editInUi(r.params.accountId, r.params.contactId, body(r.body) as UiEdit),
  );
  app.post<{ Params: Params }>(
    '/__fake/accounts/:accountId/contacts/:contactId/permission',
    async (r) =>
      c.setPermission(
        r.params.accountId,
        r.params.contactId,
        body(r.body).permission as Permission,
      ),
  );
  app.post<{ Params: Params }>(
    '/__fake/accounts/:accountId/contacts/:contactId/confirm-resubscribe',
    async (r) => c.confirmResubscribe(r.params.accountId, r.params.contactId),
  );
  app.post<{ Params: { accountId: string } }>('/__fake/accounts/:accountId/campaigns', async (r) =>
    c.sendCampaign(r.params.accountId, body(r.body) as { name: string }),
  );
  app.post<{ Params: { accountId: string } }>(
    '/__fake/accounts/:accountId/engagement',
    async (r) => ({
      recorded: c.recordEngagement(
        r.params.accountId,
        body(r.body) as Omit<EngagementInput, 'at' | 'kind'> & {
          kind: Exclude<TrackingKind, 'sends'>;
        },
      ),
    }),
  );
  app.post<{ Params: { accountId: string } }>(
    '/__fake/accounts/:accountId/load-contacts',
    async (r) => {
      c.loadContacts(r.params.accountId, Number(body(r.body).count ?? 0));
      return c.summary();
    },
  );
}
