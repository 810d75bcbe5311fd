/**
 * The control surface: typed methods for in-process tests, mirrored one to one by HTTP routes
 * under `/__fake/` for the standalone fake (documented in README.md). Never rate limited,
 * faulted or logged.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PIPEDRIVE_API, PIPEDRIVE_APP_SCOPES } from '../../../server/pipedrive/provider.ts';
import type { FaultInput, FaultRegistry } from '../shared/faults.ts';
import type { LoggedRequest, RequestLog } from '../shared/request-log.ts';
import { ApiError, type FakeContext } from './api.ts';
import { DEMO_SEED, type SeedSpec, seedStore } from './demo.ts';
import { fieldV2, filterV1, personV2, webhookV1 } from './format.ts';
import type { Person } from './model.ts';
import type { AuthorizeDecision, OAuthServer, TokenResponse, UninstallResult } from './oauth.ts';
import type { Behaviour, RateLimitConfig } from './options.ts';
import {
  createPerson,
  deletePerson,
  mergePersons,
  purgeDeleted,
  updatePerson,
} from './persons-service.ts';
import type { CompanyStore } from './store.ts';
import { validatePersonBody } from './validate.ts';
import type { DeliveryChaos, DeliveryRecord } from './webhooks.ts';

export type SeedInput = SeedSpec | 'demo' | 'empty';

export interface MintTokenInput {
  companyId: number;
  /** Defaults to the company's admin. */
  userId?: number;
  /** Defaults to the app's scopes (or PIPEDRIVE_APP_SCOPES). */
  scopes?: string[];
  /** OAuth client the install belongs to; the first registered app when omitted; null for none. */
  clientId?: string | null;
}

export interface PipedriveControl {
  reset(seed?: SeedInput): void;
  seed(spec: SeedSpec): CompanyStore[];
  company(id: number): CompanyStore;
  mintToken(input: MintTokenInput): TokenResponse;
  expireToken(accessToken: string): void;
  revokeToken(accessToken: string): void;
  uninstall(input: {
    companyId: number;
    userId?: number;
    clientId?: string;
  }): Promise<UninstallResult>;
  setAuthorizeDecision(decision: AuthorizeDecision): void;
  setBehaviour(patch: Partial<Behaviour>): Behaviour;
  setRateLimits(patch: Partial<RateLimitConfig>): RateLimitConfig;
  /** Tokens the company has used today. */
  tokensUsed(companyId: number): number;
  ui: {
    createPerson(companyId: number, body: Record<string, unknown>, userId?: number): Person;
    updatePerson(
      companyId: number,
      id: number,
      body: Record<string, unknown>,
      userId?: number,
    ): Person;
    deletePerson(companyId: number, id: number, userId?: number): void;
    mergePersons(companyId: number, id: number, mergeWithId: number, userId?: number): Person;
  };
  webhooks: {
    deliveries(): readonly DeliveryRecord[];
    sent(): ReadonlyArray<{ url: string; payload: Record<string, unknown> }>;
    idle(): Promise<void>;
    hold(): void;
    release(order?: 'fifo' | 'reverse'): number;
    setChaos(patch: Partial<DeliveryChaos>): DeliveryChaos;
  };
  addFault(fault: FaultInput): void;
  clearFaults(): void;
  requests(): readonly LoggedRequest[];
  clearRequests(): void;
  purgeDeleted(): number;
}

export interface ControlDeps {
  fx: FakeContext;
  oauth: OAuthServer;
  faults: FaultRegistry;
  log: RequestLog;
  defaultSeed: SeedInput;
}

export function createControl(deps: ControlDeps): PipedriveControl {
  const { fx, oauth, faults, log } = deps;
  const company = (id: number): CompanyStore => {
    const c = fx.store.company(id);
    if (!c) throw new ApiError(404, `Company ${id} not found`);
    return c;
  };
  const admin = (c: CompanyStore) => [...c.users.values()].find((u) => u.isAdmin)?.id ?? 0;
  const ui = (c: CompanyStore, userId?: number) => ({
    changeSource: 'app' as const,
    userId: userId ?? admin(c),
  });
  const applySeed = (seed: SeedInput) => {
    if (seed === 'empty') return;
    seedStore(fx.store, seed === 'demo' ? DEMO_SEED : seed);
  };
  applySeed(deps.defaultSeed);
  return {
    reset(seed = deps.defaultSeed) {
      fx.store.clear();
      fx.limiter.reset();
      fx.webhooks.reset();
      faults.clear();
      log.clear();
      applySeed(seed);
    },
    seed(spec) {
      const before = new Set(fx.store.companies.keys());
      seedStore(fx.store, spec);
      return [...fx.store.companies.values()].filter((c) => !before.has(c.company.id));
    },
    company,
    mintToken(input) {
      const c = company(input.companyId);
      const userId = input.userId ?? admin(c);
      if (!c.users.has(userId)) throw new ApiError(404, `User ${userId} not found`);
      const clientId =
        input.clientId === undefined ? (fx.store.apps.keys().next().value ?? null) : input.clientId;
      const app = clientId === null ? undefined : fx.store.apps.get(clientId);
      if (clientId !== null && !app)
        throw new ApiError(404, `OAuth app ${clientId} not registered`);
      return oauth.install(
        clientId,
        c.company.id,
        userId,
        input.scopes ?? app?.scopes ?? [...PIPEDRIVE_APP_SCOPES],
      );
    },
    expireToken(token) {
      const t = fx.store.accessTokens.get(token);
      if (!t) throw new ApiError(404, 'Token not found');
      t.expiresAt = fx.clock.now();
    },
    revokeToken(token) {
      const t = fx.store.accessTokens.get(token);
      if (!t) throw new ApiError(404, 'Token not found');
      t.revoked = true;
    },
    uninstall({ companyId, userId, clientId }) {
      const c = company(companyId);
      const id = clientId ?? fx.store.apps.keys().next().value;
      if (id === undefined) throw new ApiError(404, 'No OAuth app registered');
      return oauth.uninstall(id, companyId, userId ?? admin(c));
    },
    setAuthorizeDecision(decision) {
      oauth.decision = decision;
    },
    setBehaviour(patch) {
      Object.assign(fx.behaviour, patch);
      return { ...fx.behaviour };
    },
    setRateLimits(patch) {
      Object.assign(fx.limiter.config, patch);
      return { ...fx.limiter.config };
    },
    tokensUsed: (companyId) => fx.limiter.used(companyId),
    ui: {
      createPerson(companyId, body, userId) {
        const c = company(companyId);
        return createPerson(
          fx,
          c,
          validatePersonBody(body, c, fx.behaviour, 'create'),
          ui(c, userId),
        );
      },
      updatePerson(companyId, id, body, userId) {
        const c = company(companyId);
        return updatePerson(
          fx,
          c,
          id,
          validatePersonBody(body, c, fx.behaviour, 'update'),
          ui(c, userId),
        );
      },
      deletePerson(companyId, id, userId) {
        const c = company(companyId);
        deletePerson(fx, c, id, ui(c, userId));
      },
      mergePersons(companyId, id, mergeWithId, userId) {
        const c = company(companyId);
        return mergePersons(fx, c, id, mergeWithId, ui(c, userId));
      },
    },
    webhooks: {
      deliveries: () => fx.webhooks.deliveries,
      sent: () => fx.webhooks.sent,
      idle: () => fx.webhooks.idle(),
      hold: () => fx.webhooks.hold(),
      release: (order) => fx.webhooks.release(order),
      setChaos(patch) {
        Object.assign(fx.webhooks.chaos, patch);
        return { ...fx.webhooks.chaos };
      },
    },
    addFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    requests: () => log.all(),
    clearRequests: () => log.clear(),
    purgeDeleted() {
      let n = 0;
      for (const c of fx.store.companies.values())
        n += purgeDeleted(fx, c, PIPEDRIVE_API.softDeleteRetentionDays);
      return n;
    },
  };
}

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
