/**
 * Seeds: `'empty'` (one empty account), `'demo'` (two accounts with deterministic contacts,
 * lists, custom fields and past campaigns with engagement), or a `SeedSpec` (JSON file for the
 * standalone fake). The demo draws people from test/fakes/shared/people.ts: CC demo contacts are
 * persons 0..59 (overlapping the Pipedrive demo by email) plus CC-only persons 100..139; some
 * are unsubscribed and some deleted. Timestamps are fixed dates, so a seed reproduces a store.
 */
import { demoPerson } from '../shared/people.ts';
import { createRng } from '../shared/prng.ts';
import { createContact, optOut, softDelete } from './contacts.ts';
import { customFieldName } from './routes/lists.ts';
import type { AccountStore, CcStore, CustomFieldRecord, ListRecord, Permission } from './store.ts';
import { recordEngagement, sendCampaign } from './tracking.ts';

export interface SeedContact {
  email?: string;
  first_name?: string;
  last_name?: string;
  company_name?: string;
  job_title?: string;
  permission?: Permission;
  /** List names. */
  lists?: string[];
  deleted?: boolean;
  /** Custom field label → value. */
  custom_fields?: Record<string, string>;
}

export interface SeedAccount {
  accountId: string;
  organizationName?: string;
  contactEmail?: string;
  confirmedOptIn?: boolean;
  lists?: string[];
  customFields?: Array<{ label: string; type?: string }>;
  contacts?: SeedContact[];
  /** Adds demo people `from..to-1` (shared population), as the demo does. */
  demoPeople?: [number, number];
}

export interface SeedSpec {
  accounts: SeedAccount[];
  /** Account the authorize endpoint approves for; default the first. */
  approveAccountId?: string;
}

export type SeedInput = 'demo' | 'empty' | SeedSpec;

/** 2026-01-05T00:00:00Z: demo history is laid out from here. */
export const DEMO_EPOCH = Date.UTC(2026, 0, 5);
const DAY = 86_400_000;

export const DEMO_ACCOUNT_ID = 'a07e1demo0001';
export const DEMO_ACCOUNT_2_ID = 'a07e1demo0002';
/** Persons 0..59 exist in both demos; 100..139 only in CC. */
export const DEMO_SHARED_RANGE: [number, number] = [0, 60];
export const DEMO_CC_ONLY_RANGE: [number, number] = [100, 140];

export const demoSpec: SeedSpec = {
  approveAccountId: DEMO_ACCOUNT_ID,
  accounts: [
    {
      accountId: DEMO_ACCOUNT_ID,
      organizationName: 'Northwind Demo (CC)',
      contactEmail: 'owner@northwind.example.com',
      lists: ['Newsletter', 'Customers', 'Prospects', 'Events'],
      customFields: [
        { label: 'Lead Source', type: 'string' },
        { label: 'Industry', type: 'string' },
        { label: 'Last Purchase', type: 'date' },
      ],
    },
    {
      accountId: DEMO_ACCOUNT_2_ID,
      organizationName: 'Globex Demo (CC)',
      contactEmail: 'owner@globex.example.com',
      lists: ['General'],
      demoPeople: [40, 80],
    },
  ],
};

export function seedStore(store: CcStore, seed: SeedInput): void {
  if (seed === 'empty') {
    store.addAccount('a07e1empty001', 'Empty Account', 'owner@empty.example.com');
    return;
  }
  const spec = seed === 'demo' ? demoSpec : seed;
  for (const a of spec.accounts) seedAccount(store, a);
  if (spec.approveAccountId) store.approveAccountId = spec.approveAccountId;
  if (seed === 'demo') {
    const main = store.account(DEMO_ACCOUNT_ID);
    addDemoPeople(store, main, [...range(DEMO_SHARED_RANGE), ...range(DEMO_CC_ONLY_RANGE)]);
    addDemoCampaigns(store, main);
  }
}

function range([from, to]: [number, number]): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function seedAccount(store: CcStore, a: SeedAccount): AccountStore {
  const account = store.addAccount(
    a.accountId,
    a.organizationName ?? a.accountId,
    a.contactEmail ?? `owner@${a.accountId}.example.com`,
  );
  account.confirmedOptIn = a.confirmedOptIn ?? false;
  const t = DEMO_EPOCH - 30 * DAY;
  for (const name of a.lists ?? []) {
    const list: ListRecord = {
      list_id: store.uuid(),
      name,
      favorite: false,
      createdAt: t,
      updatedAt: t,
    };
    account.lists.set(list.list_id, list);
  }
  for (const f of a.customFields ?? []) {
    const field: CustomFieldRecord = {
      custom_field_id: store.uuid(),
      label: f.label,
      name: customFieldName(f.label),
      type: f.type ?? 'string',
      createdAt: t,
      updatedAt: t,
    };
    account.customFields.set(field.custom_field_id, field);
  }
  const listId = (name: string): string => {
    const list = account.activeLists().find((l) => l.name === name);
    if (!list) throw new Error(`seed: unknown list ${name}`);
    return list.list_id;
  };
  const fieldId = (label: string): string => {
    const field = [...account.customFields.values()].find((f) => f.label === label);
    if (!field) throw new Error(`seed: unknown custom field ${label}`);
    return field.custom_field_id;
  };
  (a.contacts ?? []).forEach((c, i) => {
    const at = DEMO_EPOCH + i * 3_600_000;
    const contact = createContact(
      store,
      account,
      {
        create_source: 'Account',
        first_name: c.first_name,
        last_name: c.last_name,
        company_name: c.company_name,
        job_title: c.job_title,
        email: c.email ? { address: c.email, permission: c.permission ?? 'implicit' } : undefined,
        list_memberships: c.lists?.map(listId),
        custom_fields: Object.entries(c.custom_fields ?? {}).map(([label, value]) => ({
          custom_field_id: fieldId(label),
          value,
        })),
      },
      at,
    );
    if (c.deleted) softDelete(store, contact, at + DAY);
  });
  if (a.demoPeople) addDemoPeople(store, account, range(a.demoPeople));
  return account;
}

/** Every 9th person unsubscribed (by the contact), every 13th deleted; the rest subscribed. */
function addDemoPeople(store: CcStore, account: AccountStore, indexes: number[]): void {
  const lists = account.activeLists();
  const fields = [...account.customFields.values()];
  for (const index of indexes) {
    const p = demoPerson(index);
    const rng = createRng(`cc-demo-${account.accountId}-${index}`);
    const created = DEMO_EPOCH + index * 2 * 3_600_000;
    const contact = createContact(
      store,
      account,
      {
        create_source: rng.chance(0.5) ? 'Account' : 'Contact',
        first_name: p.firstName,
        last_name: p.lastName,
        company_name: p.company,
        job_title: p.jobTitle,
        email: { address: p.email, permission: rng.chance(0.6) ? 'implicit' : 'explicit' },
        phone_numbers: [{ phone_number: p.phone, kind: 'work' }],
        list_memberships: lists.filter(() => rng.chance(0.5)).map((l) => l.list_id),
        custom_fields: fields
          .filter((f) => f.type === 'string' && rng.chance(0.6))
          .map((f) => ({
            custom_field_id: f.custom_field_id,
            value: rng.pick(['Web', 'Referral', 'Event', 'Retail', 'SaaS']),
          })),
      },
      created,
    );
    contact.updatedAt = created + rng.int(0, 60) * DAY;
    if (index % 9 === 4) optOut(contact, 'Contact', created + 90 * DAY, 'No longer interested');
    if (index % 13 === 7) softDelete(store, contact, created + 120 * DAY);
  }
}

function addDemoCampaigns(store: CcStore, account: AccountStore): void {
  const rng = createRng(`cc-demo-campaigns-${account.accountId}`);
  const sends = [
    { name: 'September Newsletter', at: Date.UTC(2026, 8, 15, 9) },
    { name: 'Product Launch', at: Date.UTC(2026, 9, 14, 9) },
    { name: 'November Newsletter', at: Date.UTC(2026, 10, 10, 9) },
  ];
  for (const s of sends) {
    const campaign = sendCampaign(store, account, { name: s.name, at: s.at });
    const activityId = campaign.activityIds[0] as string;
    const recipients = (account.campaignActivities.get(activityId)?.events ?? []).map(
      (e) => e.contactId,
    );
    for (const contactId of recipients) {
      const contact = account.contacts.get(contactId);
      if (!contact || contact.email?.permission === 'unsubscribed') continue;
      const roll = rng.next();
      const at = s.at + rng.int(10, 72 * 60) * 60_000;
      const base = { campaignActivityId: activityId, contactIds: [contactId], at };
      if (roll < 0.05)
        recordEngagement(account, {
          ...base,
          kind: 'bounces',
          bounceCode: rng.pick(['B', 'F', 'Z']),
        });
      else if (roll < 0.55) {
        recordEngagement(account, {
          ...base,
          kind: 'opens',
          deviceType: rng.pick(['computer', 'mobile', 'tablet']),
        });
        if (rng.chance(0.4)) {
          recordEngagement(account, {
            ...base,
            at: at + 60_000,
            kind: 'clicks',
            linkUrl: rng.pick([
              'https://northwind.example.com/offer',
              'https://northwind.example.com/blog',
            ]),
          });
        }
        if (rng.chance(0.05))
          recordEngagement(account, { ...base, at: at + 120_000, kind: 'forwards' });
        if (rng.chance(0.04)) {
          recordEngagement(account, {
            ...base,
            at: at + 180_000,
            kind: 'optouts',
            optOutReason: 'Too many emails',
          });
        }
      }
    }
  }
}
