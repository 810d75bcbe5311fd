/**
 * The control surface as typed methods for in-process tests; control-routes.ts mirrors them
 * one to one under `/__fake/` for the standalone fake (documented in README.md).
 */
import { PIPEDRIVE_API, PIPEDRIVE_APP_SCOPES } from '../../../server/pipedrive/provider.ts';
import type { FaultInput, FaultRegistry } from '../shared/faults.ts';
import type { LoggedRequest, RequestLog } from '../shared/request-log.ts';
import { ApiError, type FakeContext } from './api.ts';
import { DEMO_SEED, type SeedSpec, seedStore } from './demo.ts';
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
