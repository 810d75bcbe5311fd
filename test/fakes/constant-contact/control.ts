import { ccOAuth } from '../../../server/constant-contact/provider.ts';
import type { FakeClock } from '../shared/clock.ts';
import type { FaultInput, FaultRegistry } from '../shared/faults.ts';
import type { LoggedRequest, RequestLog } from '../shared/request-log.ts';
import type { ActivityRunner } from './activities.ts';
import type { Behaviour } from './behaviour.ts';
import { createContact, optOut } from './contacts.ts';
import type { FakeContext } from './context.ts';
import type { SeedInput } from './demo.ts';
import { validationError } from './errors.ts';
import type { OAuthServer, TokenSet } from './oauth.ts';
import type { RateLimiter, RateLimitOptions } from './rate-limit.ts';
import type { ContactRecord, OAuthApp, Permission } from './store.ts';
import { type EngagementInput, recordEngagement, sendCampaign } from './tracking.ts';

export interface UiEdit {
  first_name?: string | null;
  last_name?: string | null;
  job_title?: string | null;
  company_name?: string | null;
  email?: string;
  /** Replaces the list memberships (list ids). */
  list_memberships?: string[];
  at?: number;
}

export interface StoreSummary {
  approveAccountId: string | undefined;
  accounts: Array<{
    accountId: string;
    organizationName: string;
    contacts: number;
    deleted: number;
    unsubscribed: number;
    lists: number;
    customFields: number;
    activities: number;
    campaigns: number;
  }>;
  apps: string[];
  grants: Array<{
    grantId: string;
    clientId: string;
    accountId: string;
    scopes: string[];
    revoked: boolean;
  }>;
}

export interface Control {
  reset(seed?: SeedInput): void;
  seed(seed: SeedInput): void;
  summary(): StoreSummary;
  contact(accountId: string, contactId: string): ContactRecord | undefined;
  contactByEmail(accountId: string, email: string): ContactRecord | undefined;
  addAccount(input: { accountId: string; organizationName?: string; contactEmail?: string }): void;
  approveAs(accountId: string): void;
  registerApp(app: {
    clientId: string;
    clientSecret: string;
    redirectUris: string[];
    refreshTokenMode?: OAuthApp['refreshTokenMode'];
  }): void;
  mintToken(input: {
    clientId: string;
    accountId?: string;
    scopes?: string[];
  }): TokenSet & { grant_id: string };
  revokeGrant(grantId: string): void;
  setBehaviour(patch: Partial<Behaviour>): Behaviour;
  setRateLimits(patch: Partial<RateLimitOptions>): RateLimitOptions;
  setActivityDelay(ms: number): void;
  setConfirmedOptIn(accountId: string, on: boolean): void;
  runActivities(): void;
  /** A recipient clicks "unsubscribe" (§4.7): only email_address.updated_at moves (§12). */
  unsubscribe(
    accountId: string,
    contactId: string,
    input?: { at?: number; reason?: string; campaignActivityId?: string },
  ): ContactRecord;
  /** An account user edits the contact in CC's UI: updated_at moves, update_source Account. */
  editInUi(accountId: string, contactId: string, edit: UiEdit): ContactRecord;
  /** Control-only permissions such as `temp_hold` (§4.7 Fake). */
  setPermission(accountId: string, contactId: string, permission: Permission): ContactRecord;
  confirmResubscribe(accountId: string, contactId: string): ContactRecord;
  sendCampaign(
    accountId: string,
    input: { name: string; contactIds?: string[]; at?: number },
  ): { campaignId: string; campaignActivityId: string };
  recordEngagement(accountId: string, input: Omit<EngagementInput, 'at'> & { at?: number }): number;
  /** Bulk-loads synthetic contacts (benchmarks): `n` contacts `bulk<i>@load.example.com`. */
  loadContacts(accountId: string, n: number): void;
  permissionAttempts(): FakeContext['store']['permissionAttempts'];
  requests(): readonly LoggedRequest[];
  clearRequests(): void;
  addFault(fault: FaultInput): void;
  clearFaults(): void;
  clock(): { now: number; iso: string };
  setClock(input: { set?: number | string; advance?: number; unpin?: boolean }): {
    now: number;
    iso: string;
  };
  usedToday(clientId: string): number;
  /** API spend of one OAuth client from the request log (§10 budget): `/v3` calls only. */
  apiSpend(clientId: string, since?: number): ApiSpend;
}

export interface ApiSpend {
  requests: number;
  throttled: number;
  /** Most requests answered in any one-second window of the fake clock. */
  maxPerSecond: number;
  byAccount: Record<string, number>;
}

interface ControlDeps {
  ctx: FakeContext;
  clock: FakeClock;
  limiter: RateLimiter;
  oauth: OAuthServer;
  runner: ActivityRunner;
  faults: FaultRegistry;
  log: RequestLog;
  reset(seed: SeedInput): void;
  defaultSeed: SeedInput;
}

export function createControl(d: ControlDeps): Control {
  const store = () => d.ctx.store;
  const contactOf = (accountId: string, contactId: string): ContactRecord => {
    const c = store().account(accountId).contacts.get(contactId);
    if (!c) throw validationError([`Unknown contact ${contactId} in ${accountId}.`]);
    return c;
  };
  const clockView = () => ({ now: d.clock.now(), iso: new Date(d.clock.now()).toISOString() });
  return {
    reset: (seed) => d.reset(seed ?? d.defaultSeed),
    seed: (seed) => d.reset(seed),
    summary: () => ({
      approveAccountId: store().approveAccountId,
      accounts: [...store().accounts.values()].map((a) => ({
        accountId: a.accountId,
        organizationName: a.organizationName,
        contacts: a.contacts.size,
        deleted: a.order.filter((c) => c.deletedAt !== undefined).length,
        unsubscribed: a.order.filter((c) => c.email?.permission === 'unsubscribed').length,
        lists: a.activeLists().length,
        customFields: a.customFields.size,
        activities: a.activities.size,
        campaigns: a.campaigns.size,
      })),
      apps: [...store().apps.keys()],
      grants: [...store().grants.values()].map(
        ({ grantId, clientId, accountId, scopes, revoked }) => ({
          grantId,
          clientId,
          accountId,
          scopes,
          revoked,
        }),
      ),
    }),
    contact: (accountId, contactId) => store().account(accountId).contacts.get(contactId),
    contactByEmail: (accountId, email) => store().account(accountId).findByEmail(email),
    addAccount: ({ accountId, organizationName, contactEmail }) => {
      store().addAccount(
        accountId,
        organizationName ?? accountId,
        contactEmail ?? `owner@${accountId}.example.com`,
      );
    },
    approveAs: (accountId) => {
      store().account(accountId);
      store().approveAccountId = accountId;
    },
    registerApp: (app) => {
      store().registerApp(app);
    },
    mintToken: ({ clientId, accountId, scopes }) => {
      const account = accountId ?? store().approveAccountId ?? '';
      const set = d.oauth.issueGrant(clientId, account, scopes ?? [...ccOAuth.requiredScopes]);
      return { ...set, grant_id: d.oauth.verify(set.access_token).grant.grantId };
    },
    revokeGrant: (grantId) => d.oauth.revokeGrant(grantId),
    setBehaviour: (patch) => {
      store().behaviour = { ...store().behaviour, ...patch };
      return store().behaviour;
    },
    setRateLimits: (patch) => {
      d.limiter.options = { ...d.limiter.options, ...patch };
      return d.limiter.options;
    },
    setActivityDelay: (ms) => {
      d.runner.delayMs = ms;
    },
    setConfirmedOptIn: (accountId, on) => {
      store().account(accountId).confirmedOptIn = on;
    },
    runActivities: () => d.runner.processAll(true),
    unsubscribe: (accountId, contactId, input = {}) => {
      const account = store().account(accountId);
      const contact = contactOf(accountId, contactId);
      const at = input.at ?? d.clock.now();
      if (input.campaignActivityId) {
        recordEngagement(account, {
          campaignActivityId: input.campaignActivityId,
          kind: 'optouts',
          contactIds: [contactId],
          at,
          optOutReason: input.reason,
        });
      } else {
        optOut(contact, 'Contact', at, input.reason);
        contact.update_source = 'Contact';
      }
      return contact;
    },
    editInUi: (accountId, contactId, edit) => {
      const account = store().account(accountId);
      const contact = contactOf(accountId, contactId);
      const at = edit.at ?? d.clock.now();
      for (const key of ['first_name', 'last_name', 'job_title', 'company_name'] as const) {
        const value = edit[key];
        if (value === null) delete contact[key];
        else if (value !== undefined) contact[key] = value;
      }
      if (edit.email !== undefined && contact.email && edit.email !== contact.email.address) {
        const owner = account.findByEmail(edit.email);
        if (owner && owner !== contact)
          throw validationError(['Email already used by another contact.']);
        const previous = contact.email.address;
        contact.email.address = edit.email;
        contact.email.updatedAt = at;
        account.reindexEmail(contact, previous);
      }
      if (edit.list_memberships) contact.list_memberships = [...edit.list_memberships];
      contact.update_source = 'Account';
      contact.updatedAt = at;
      return contact;
    },
    setPermission: (accountId, contactId, permission) => {
      const contact = contactOf(accountId, contactId);
      if (!contact.email) throw validationError(['Contact has no email address.']);
      contact.email.permission = permission;
      contact.email.updatedAt = d.clock.now();
      return contact;
    },
    confirmResubscribe: (accountId, contactId) => {
      const account = store().account(accountId);
      const contact = contactOf(accountId, contactId);
      const lists = account.resubscribeRequested.get(contactId);
      if (!lists || !contact.email)
        throw validationError(['No resubscribe email was sent to this contact.']);
      const now = d.clock.now();
      Object.assign(contact.email, {
        permission: 'explicit',
        optInSource: 'Contact',
        optInDate: now,
        updatedAt: now,
      });
      delete contact.email.optOutDate;
      delete contact.email.optOutSource;
      delete contact.email.optOutReason;
      contact.list_memberships = [...new Set([...(contact.list_memberships ?? []), ...lists])];
      contact.updatedAt = now;
      account.resubscribeRequested.delete(contactId);
      return contact;
    },
    sendCampaign: (accountId, input) => {
      const campaign = sendCampaign(store(), store().account(accountId), {
        ...input,
        at: input.at ?? d.clock.now(),
      });
      return {
        campaignId: campaign.campaign_id,
        campaignActivityId: campaign.activityIds[0] as string,
      };
    },
    recordEngagement: (accountId, input) =>
      recordEngagement(store().account(accountId), { ...input, at: input.at ?? d.clock.now() })
        .length,
    loadContacts: (accountId, n) => {
      const account = store().account(accountId);
      const now = d.clock.now();
      const start = account.contacts.size;
      for (let i = start; i < start + n; i++) {
        createContact(
          store(),
          account,
          {
            create_source: 'Account',
            first_name: `Load${i}`,
            last_name: 'Contact',
            email: { address: `bulk${i}@load.example.com`, permission: 'implicit' },
          },
          now,
        );
      }
    },
    permissionAttempts: () => store().permissionAttempts,
    requests: () => d.log.all(),
    clearRequests: () => d.log.clear(),
    addFault: (fault) => d.faults.add(fault),
    clearFaults: () => d.faults.clear(),
    clock: clockView,
    setClock: ({ set, advance, unpin }) => {
      if (unpin) d.clock.unpin();
      if (set !== undefined) d.clock.set(typeof set === 'number' ? set : Date.parse(set));
      if (advance !== undefined) d.clock.advance(advance);
      return clockView();
    },
    usedToday: (clientId) => d.limiter.usedToday(clientId),
    apiSpend: (clientId, since = 0) => {
      const perSecond = new Map<number, number>();
      const spend: ApiSpend = { requests: 0, throttled: 0, maxPerSecond: 0, byAccount: {} };
      for (const e of d.log.all()) {
        if (e.clientId !== clientId || e.at < since || !e.path.startsWith('/v3/')) continue;
        spend.requests++;
        if (e.status === 429) spend.throttled++;
        const second = Math.floor(e.at / 1000);
        const n = (perSecond.get(second) ?? 0) + 1;
        perSecond.set(second, n);
        spend.maxPerSecond = Math.max(spend.maxPerSecond, n);
        if (e.tenant) spend.byAccount[e.tenant] = (spend.byAccount[e.tenant] ?? 0) + 1;
      }
      return spend;
    },
  };
}
