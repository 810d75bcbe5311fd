/**
 * Deterministic seed data. Persons are drawn from the shared demo population
 * (`demoPerson(i)`, test/fakes/shared/people.ts) so the Constant Contact fake's demo overlaps
 * by email for the same indexes. On top of it: some duplicate emails, some persons without
 * email, some with several emails, organizations, and custom fields including option fields.
 */

import type { PipedrivePlan } from '../../../server/pipedrive/provider.ts';
import { demoPerson } from '../shared/people.ts';
import { createRng, type Rng } from '../shared/prng.ts';
import { addPeopleFilter } from './filters.ts';
import type { ActivityType, ContactValue, FieldDef, Person } from './model.ts';
import { CompanyStore, type Store } from './store.ts';

export interface CompanySeed {
  name: string;
  plan?: PipedrivePlan;
  seats?: number;
  /** Users beyond the admin (user 0 is always an admin). */
  users?: number;
  persons?: number;
  organizations?: number;
  /** First `demoPerson` index used for this company's persons. */
  personOffset?: number;
}

export interface SeedSpec {
  /** PRNG seed for everything not taken from `demoPerson`. */
  seed?: string | number;
  companies: CompanySeed[];
}

/** The default population of the standalone fake and of tests that do not pass a seed. */
export const DEMO_SEED: SeedSpec = {
  seed: 'demo',
  companies: [
    {
      name: 'Demo Company',
      plan: 'growth',
      seats: 5,
      users: 2,
      persons: 200,
      organizations: 10,
      personOffset: 0,
    },
    {
      name: 'Second Company',
      plan: 'lite',
      seats: 2,
      users: 1,
      persons: 30,
      organizations: 3,
      personOffset: 10_000,
    },
  ],
};

/** Fixed seed epoch so seeded times do not depend on when the seed ran. */
const SEED_EPOCH = Date.UTC(2025, 0, 1);

const DEFAULT_ACTIVITY_TYPES: Array<[string, string, string]> = [
  ['Call', 'call', 'call'],
  ['Meeting', 'meeting', 'meeting'],
  ['Task', 'task', 'task'],
  ['Deadline', 'deadline', 'deadline'],
  ['Email', 'email', 'email'],
  ['Lunch', 'lunch', 'lunch'],
];

export function hexKey(rng: Rng): string {
  let s = '';
  for (let i = 0; i < 40; i++) s += '0123456789abcdef'.charAt(rng.int(0, 15));
  return s;
}

/** The custom person fields every seeded company gets; `seedCompany` returns their keys. */
export interface DemoFieldKeys {
  newsletter: string;
  interests: string;
  source: string;
  customerSince: string;
  lifetimeValue: string;
}

export function seedStore(store: Store, spec: SeedSpec): void {
  const rng = createRng(spec.seed ?? 'demo');
  for (const c of spec.companies) seedCompany(store, rng, c);
}

export function seedCompany(store: Store, rng: Rng, seed: CompanySeed): CompanyStore {
  const id = store.nextId('company');
  const slug = seed.name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  const company = new CompanyStore({
    id,
    name: seed.name,
    domain: `${slug}-${hexKey(rng).slice(0, 6)}`,
    plan: seed.plan ?? 'growth',
    seats: seed.seats ?? 3,
    country: 'EE',
    industry: 'Software',
    currency: 'EUR',
  });
  store.companies.set(id, company);
  const userCount = 1 + (seed.users ?? 1);
  for (let u = 0; u < userCount; u++) {
    const userId = store.nextId('user');
    company.users.set(userId, {
      id: userId,
      companyId: id,
      name: u === 0 ? `${seed.name} Admin` : `${seed.name} User ${u}`,
      email:
        u === 0
          ? `admin@${company.company.domain}.example.com`
          : `user${u}@${company.company.domain}.example.com`,
      isAdmin: u === 0,
      apiToken: hexKey(rng),
      created: SEED_EPOCH,
    });
  }
  const ownerIds = [...company.users.keys()];
  const adminId = ownerIds[0] as number;
  seedFields(store, rng, company);
  for (const [i, [name, key, icon]] of DEFAULT_ACTIVITY_TYPES.entries()) {
    const t: ActivityType = {
      id: store.nextId('activityType'),
      companyId: id,
      name,
      key_string: key,
      icon_key: icon,
      color: 'FFFFFF',
      order_nr: i + 1,
      active_flag: true,
      is_custom_flag: false,
      add_time: SEED_EPOCH,
      update_time: SEED_EPOCH,
    };
    company.activityTypes.set(t.id, t);
  }
  const orgIds: number[] = [];
  for (let o = 0; o < (seed.organizations ?? 5); o++) {
    const orgId = store.nextId('org');
    orgIds.push(orgId);
    const name = demoPerson(o).company + (o >= 10 ? ` ${Math.floor(o / 10) + 1}` : '');
    company.orgs.set(orgId, {
      id: orgId,
      companyId: id,
      name,
      owner_id: adminId,
      add_time: SEED_EPOCH,
      update_time: SEED_EPOCH,
      is_deleted: false,
      visible_to: 3,
      label_ids: [],
      address: o % 2 === 0 ? `Narva mnt ${o + 1}, Tallinn` : null,
      custom_fields: {},
    });
  }
  const keys = demoFieldKeys(company);
  const offset = seed.personOffset ?? 0;
  const count = seed.persons ?? 50;
  const newsletter = company.personField(keys.newsletter);
  const interests = company.personField(keys.interests);
  for (let k = 0; k < count; k++) {
    const person = demoPersonRecord(store, company, offset + k, k, {
      ownerIds,
      orgIds,
      keys,
      newsletterOptions: newsletter?.options?.map((o) => o.id) ?? [],
      interestOptions: interests?.options?.map((o) => o.id) ?? [],
    });
    company.addPerson(person);
  }
  seedFilters(store, company, keys, adminId);
  return company;
}

interface PersonContext {
  ownerIds: number[];
  orgIds: number[];
  keys: DemoFieldKeys;
  newsletterOptions: number[];
  interestOptions: number[];
}

/**
 * One demo person. Deterministic in (index, k): every 20th has no email, every 25th reuses the
 * previous person's email (a duplicate), every 10th has a second (home) email.
 */
function demoPersonRecord(
  store: Store,
  company: CompanyStore,
  index: number,
  k: number,
  ctx: PersonContext,
): Person {
  const d = demoPerson(index);
  const rng = createRng(`pd-person-${index}`);
  const emails: ContactValue[] = [];
  if (k % 20 !== 7) {
    const email = k % 25 === 24 ? demoPerson(index - 1).email : d.email;
    emails.push({ value: email, primary: true, label: 'work' });
    if (k % 10 === 3) {
      emails.push({
        value: `${d.firstName}.${d.lastName}.home${index}@mail.example.net`
          .toLowerCase()
          .replace(/[^a-z0-9.@]/g, ''),
        primary: false,
        label: 'home',
      });
    }
  }
  const phones: ContactValue[] =
    k % 6 === 5 ? [] : [{ value: d.phone, primary: true, label: k % 3 === 0 ? 'mobile' : 'work' }];
  const custom: Record<string, unknown> = {};
  if (ctx.newsletterOptions.length && k % 3 !== 2)
    custom[ctx.keys.newsletter] = rng.pick(ctx.newsletterOptions);
  if (ctx.interestOptions.length && k % 4 === 0) {
    const set = ctx.interestOptions.filter(() => rng.chance(0.5));
    custom[ctx.keys.interests] = set.length ? set : [ctx.interestOptions[0]];
  }
  if (k % 2 === 0)
    custom[ctx.keys.source] = rng.pick(['Website', 'Trade show', 'Referral', 'Cold call']);
  if (k % 5 === 0)
    custom[ctx.keys.customerSince] = `202${rng.int(0, 4)}-0${rng.int(1, 9)}-1${rng.int(0, 9)}`;
  if (k % 7 === 0) custom[ctx.keys.lifetimeValue] = rng.int(100, 50_000);
  const add = SEED_EPOCH + k * 60_000;
  return {
    id: store.nextId('person'),
    companyId: company.company.id,
    name: `${d.firstName} ${d.lastName}`,
    first_name: d.firstName,
    last_name: d.lastName,
    owner_id: ctx.ownerIds[k % ctx.ownerIds.length] as number,
    org_id: ctx.orgIds.length && k % 4 !== 1 ? (ctx.orgIds[k % ctx.orgIds.length] as number) : null,
    add_time: add,
    update_time: add + (k % 13) * 1000,
    emails,
    phones,
    is_deleted: false,
    visible_to: 3,
    label_ids: k % 9 === 0 ? [1] : [],
    job_title: d.jobTitle,
    marketing_status: null,
    custom_fields: custom,
    seq: store.nextSeq(),
  };
}

function field(
  store: Store,
  order: number,
  key: string,
  name: string,
  type: string,
  extra: Partial<FieldDef> = {},
): FieldDef {
  return {
    id: store.nextId('field'),
    key,
    name,
    field_type: type,
    order_nr: order,
    options: null,
    custom: false,
    readOnly: false,
    mandatory: false,
    add_time: SEED_EPOCH,
    update_time: SEED_EPOCH,
    active: true,
    ...extra,
  };
}

function options(store: Store, labels: string[]): FieldDef['options'] {
  return labels.map((label) => ({ id: store.nextId('option'), label }));
}

function seedFields(store: Store, rng: Rng, company: CompanyStore): void {
  let n = 0;
  const sys = (key: string, name: string, type: string, extra: Partial<FieldDef> = {}) =>
    field(store, n++, key, name, type, extra);
  company.personFields = [
    sys('id', 'ID', 'int', { readOnly: true }),
    sys('name', 'Name', 'varchar', { mandatory: true }),
    sys('first_name', 'First name', 'varchar'),
    sys('last_name', 'Last name', 'varchar'),
    sys('label', 'Label', 'set', {
      options: [
        { id: 1, label: 'Customer', color: 'green' },
        { id: 2, label: 'Hot lead', color: 'red' },
        { id: 3, label: 'Warm lead', color: 'yellow' },
        { id: 4, label: 'Cold lead', color: 'blue' },
      ],
    }),
    sys('org_id', 'Organization', 'org'),
    sys('email', 'Email', 'varchar'),
    sys('phone', 'Phone', 'phone'),
    sys('owner_id', 'Owner', 'user'),
    sys('visible_to', 'Visible to', 'visible_to'),
    sys('job_title', 'Job title', 'varchar'),
    sys('add_time', 'Person created', 'date', { readOnly: true }),
    sys('update_time', 'Update time', 'date', { readOnly: true }),
    sys('open_deals_count', 'Open deals', 'int', { readOnly: true }),
    sys('marketing_status', 'Marketing status', 'enum', {
      options: options(store, ['No consent', 'Unsubscribed', 'Subscribed', 'Archived']),
    }),
    sys(hexKey(rng), 'Newsletter', 'enum', {
      custom: true,
      options: options(store, ['Yes', 'No']),
    }),
    sys(hexKey(rng), 'Interests', 'set', {
      custom: true,
      options: options(store, ['Product updates', 'Events', 'Webinars', 'Offers']),
    }),
    sys(hexKey(rng), 'Lead source', 'varchar', { custom: true }),
    sys(hexKey(rng), 'Customer since', 'date', { custom: true }),
    sys(hexKey(rng), 'Lifetime value', 'double', { custom: true }),
  ];
  let m = 0;
  company.orgFields = [
    field(store, m++, 'id', 'ID', 'int', { readOnly: true }),
    field(store, m++, 'name', 'Name', 'varchar', { mandatory: true }),
    field(store, m++, 'owner_id', 'Owner', 'user'),
    field(store, m++, 'address', 'Address', 'address'),
    field(store, m++, 'visible_to', 'Visible to', 'visible_to'),
    field(store, m++, 'add_time', 'Organization created', 'date', { readOnly: true }),
    field(store, m++, hexKey(rng), 'Segment', 'enum', {
      custom: true,
      options: options(store, ['SMB', 'Mid-market', 'Enterprise']),
    }),
  ];
}

/** Finds the demo custom fields by name (their keys are random per company). */
export function demoFieldKeys(company: CompanyStore): DemoFieldKeys {
  const key = (name: string) =>
    company.personFields.find((f) => f.custom && f.name === name)?.key ?? '';
  return {
    newsletter: key('Newsletter'),
    interests: key('Interests'),
    source: key('Lead source'),
    customerSince: key('Customer since'),
    lifetimeValue: key('Lifetime value'),
  };
}

function seedFilters(
  store: Store,
  company: CompanyStore,
  keys: DemoFieldKeys,
  adminId: number,
): void {
  const fieldId = (key: string) =>
    String(company.personFields.find((f) => f.key === key)?.id ?? '');
  const yes = company.personField(keys.newsletter)?.options?.[0]?.id;
  const add = (name: string, conditions: Array<[string, string, string | null]>) =>
    addPeopleFilter(store, company, { name, at: SEED_EPOCH, userId: adminId, conditions });
  add('Newsletter: yes', [[fieldId(keys.newsletter), '=', String(yes)]]);
  add('Has email', [[fieldId('email'), 'IS NOT NULL', null]]);
  add('Email on example.org', [[fieldId('email'), "LIKE '%$%'", 'example.org']]);
}
