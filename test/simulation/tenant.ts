/**
 * One seed's tenant: a Pipedrive company and a CC account of its own in the shared fakes, a
 * small random population on both sides, and a connection whose initial sync has run. Also
 * what the simulation remembers about it: who created what, who opted out, the merges, the
 * trace of every step, and aliases (P3, C7) so a trace reads the same on every replay.
 */

import { runInitialSync } from '../../server/sync/engine/initial.ts';
import { type ConnectionSettings, connectionSettings } from '../../server/sync/settings.ts';
import { createContact } from '../fakes/constant-contact/contacts.ts';
import type { AccountStore } from '../fakes/constant-contact/store.ts';
import { addPeopleFilter, compileFilter } from '../fakes/pipedrive/filters.ts';
import type { Person } from '../fakes/pipedrive/model.ts';
import type { CompanyStore } from '../fakes/pipedrive/store.ts';
import { createRng, type Rng } from '../fakes/shared/prng.ts';
import { connectCompany } from '../helpers/connected.ts';
import { sameNameRow } from '../helpers/sync-world.ts';
import type { SimWorld } from './world.ts';

export const MAPPED = ['first_name', 'last_name', 'job_title'] as const;
export type MappedField = (typeof MAPPED)[number];

const FIRST = ['Ada', 'Ben', 'Cleo', 'Dev', 'Eva', 'Finn', 'Gia', 'Hugo'];
const LAST = ['Stone', 'Rivera', 'Okafor', 'Lind', 'Moreau', 'Tanaka'];
const TITLES = ['CEO', 'CTO', 'Buyer', 'Engineer', 'Analyst'];

export interface Tenant {
  seed: number;
  rng: Rng;
  companyId: number;
  accountId: string;
  connectionId: number;
  settings: ConnectionSettings;
  lists: { target: string; other: string };
  /**
   * Set when the connection syncs the members of one Pipedrive people filter (a fifth of the
   * seeds): the filter's id, on the person label `label` (`other` is a label outside it; a field no mapping row touches, so
   * sync writes never change who is a member; only a user's pd.filter or pd.create, or a merge
   * that unites labels, does).
   */
  filter: { id: number; label: number; other: number } | null;
  emails: string[];
  /** Persons and contacts the simulated users made (all others were made by the app). */
  userPersons: Set<number>;
  /** Persons whose email a user changed (pd.email). */
  emailsEdited: Set<number>;
  userContacts: Set<string>;
  optedOut: Set<string>;
  merges: Array<{ gone: number; survivor: number }>;
  trace: string[];
  alias(id: number | string): string;
}

export function company(world: SimWorld, t: Tenant): CompanyStore {
  return world.sync.pd.store.company(t.companyId) as CompanyStore;
}

export function account(world: SimWorld, t: Tenant): AccountStore {
  return world.sync.cc.store.account(t.accountId);
}

export const pick = {
  first: (rng: Rng) => rng.pick(FIRST),
  last: (rng: Rng) => rng.pick(LAST),
  title: (rng: Rng) => (rng.chance(0.2) ? null : rng.pick(TITLES)),
  value: (rng: Rng, field: MappedField) =>
    field === 'first_name'
      ? pick.first(rng)
      : field === 'last_name'
        ? pick.last(rng)
        : pick.title(rng),
  /** Label ids with (`member`) or without the filter's label; other labels come and go. */
  labels: (rng: Rng, filter: { label: number; other: number }, member: boolean): number[] => {
    const other = rng.pick([[], [filter.other]]);
    return member ? [filter.label, ...other] : other;
  },
};

let tenants = 0;

export async function createTenant(
  world: SimWorld,
  seed: number,
  rng: Rng,
  size: number,
): Promise<Tenant> {
  const { pd, cc } = world.sync;
  tenants += 1;
  const [store] = pd.control.seed({
    seed: `sim-${seed}`,
    companies: [{ name: `Sim ${seed}`, persons: 0, organizations: 0 }],
  });
  if (!store) throw new Error('the Pipedrive fake seeded no company');
  const accountId = `a07esim${tenants}x${seed}`;
  cc.store.reseed(`sim-${seed}`);
  cc.control.addAccount({ accountId, organizationName: `Sim ${seed}` });
  const acct = cc.store.account(accountId);
  const now = world.clock.now();
  const lists = { target: `${accountId}-target`, other: `${accountId}-other` };
  for (const [name, id] of Object.entries(lists))
    acct.lists.set(id, { list_id: id, name, favorite: false, createdAt: now, updatedAt: now });

  // A rng of its own picks the filter seeds, so the other seeds replay as they did before.
  const filterSeed = createRng(`pd-filter-${seed}`).chance(0.2);
  const filter = filterSeed ? addFilter(world, store) : null;
  const aliases = new Map<number | string, string>();
  let persons = 0;
  let contacts = 0;
  const t: Tenant = {
    seed,
    rng,
    companyId: store.company.id,
    accountId,
    connectionId: 0,
    settings: connectionSettings.parse({
      direction: 'two_way',
      pipedriveSource: filter ? { kind: 'filters', filterIds: [filter.id] } : { kind: 'all' },
      // A fifth of the seeds sync only the members of one CC list.
      ccSource: rng.chance(0.2) ? { kind: 'lists', listIds: [lists.other] } : { kind: 'all' },
      targetListIds: [lists.target],
      newPersonOwnerId: [...store.users.keys()][0],
      conflictWinner: rng.chance(0.5) ? 'pipedrive' : 'constant_contact',
      mapping: MAPPED.map((f) => sameNameRow(f)),
    }),
    lists,
    filter,
    // A pool a little larger than the population, so emails collide now and then.
    emails: Array.from({ length: size + 4 }, (_, i) => `e${i}@s${seed}.example.com`),
    userPersons: new Set(),
    emailsEdited: new Set(),
    userContacts: new Set(),
    optedOut: new Set(),
    merges: [],
    trace: [],
    alias(id) {
      let name = aliases.get(id);
      if (!name) {
        name = typeof id === 'number' ? `P${++persons}` : `C${++contacts}`;
        aliases.set(id, name);
      }
      return name;
    },
  };

  const nPersons = rng.int(Math.ceil(size / 3), size);
  for (let i = 0; i < nPersons; i++) {
    const body = personBody(t);
    const person = pd.control.ui.createPerson(t.companyId, body);
    t.userPersons.add(person.id);
    t.trace.push(`seed ${t.alias(person.id)} ${describePerson(body)}`);
  }
  const nContacts = rng.int(1, Math.ceil(size / 2));
  for (let i = 0; i < nContacts; i++) {
    const made = contactIn(world, t);
    if (made) t.trace.push(`seed ${made}`);
  }
  world.takeEvents(t.companyId);

  const { connectionId } = await connectCompany({
    db: world.db,
    keyring: world.keyring,
    world: world.sync,
    companyId: t.companyId,
    ccAccountId: accountId,
    settings: t.settings,
  });
  t.connectionId = connectionId;
  await runScan(world, t, 'initial');
  const source = filter ? `, filter label=${filter.label}` : '';
  t.trace.push(
    `initial sync (ccSource ${t.settings.ccSource.kind}${source}, ${t.settings.conflictWinner} wins)`,
  );
  return t;
}

/** Runs a full reconciliation: the initial sync, "Sync now" (`scan`) or its dry-run. */
export async function runScan(world: SimWorld, t: Tenant, kind: 'initial' | 'scan' | 'dry_run') {
  const run = await world.db
    .insertInto('sync_runs')
    .values({ connection_id: t.connectionId, kind })
    .returning('id')
    .executeTakeFirstOrThrow();
  return runInitialSync(world.deps, {
    connectionId: t.connectionId,
    runId: run.id,
    dryRun: kind === 'dry_run',
  });
}

export function personBody(t: Tenant): Record<string, unknown> {
  const { rng } = t;
  const first = pick.first(rng);
  const last = pick.last(rng);
  const emails: Array<{ value: string; primary: boolean; label: string }> = [];
  if (rng.chance(0.85)) emails.push({ value: rng.pick(t.emails), primary: true, label: 'work' });
  if (emails.length && rng.chance(0.2)) {
    const other = rng.pick(t.emails);
    if (other !== emails[0]?.value) emails.push({ value: other, primary: false, label: 'home' });
  }
  return {
    name: `${first} ${last}`,
    first_name: first,
    last_name: last,
    job_title: pick.title(rng),
    emails,
    // In a filter seed about half the persons start in the filter.
    ...(t.filter ? { label_ids: pick.labels(rng, t.filter, rng.chance(0.5)) } : {}),
  };
}

/** The people filter a filter seed syncs: persons carrying one label. */
function addFilter(world: SimWorld, store: CompanyStore): NonNullable<Tenant['filter']> {
  const field = store.personField('label');
  const [label, other] = (field?.options ?? []).map((o) => Number(o.id));
  if (!field || label === undefined || other === undefined)
    throw new Error('the Pipedrive fake has no person labels');
  const { id } = addPeopleFilter(world.sync.pd.store, store, {
    name: 'Sim members',
    at: world.clock.now(),
    conditions: [[String(field.id), '=', String(label)]],
  });
  return { id, label, other };
}

/**
 * Who is in the Pipedrive rule now: everyone, or the filter's members as the fake evaluates
 * them at this moment.
 */
export function pipedriveRule(world: SimWorld, t: Tenant): (person: Person) => boolean {
  const filter = t.filter && company(world, t).filters.get(t.filter.id);
  if (!t.filter) return () => true;
  if (!filter) throw new Error(`filter ${t.filter.id} is gone from the fake`);
  return compileFilter(filter, company(world, t));
}

export function describePerson(body: Record<string, unknown>): string {
  const emails = (body.emails as Array<{ value: string }> | undefined)?.map((e) => e.value);
  return JSON.stringify({ ...body, name: undefined, emails });
}

/** A contact a CC user adds, with an email nobody in the account has; null when none is free. */
export function contactIn(world: SimWorld, t: Tenant): string | null {
  const { rng } = t;
  const acct = account(world, t);
  const free = t.emails.filter((e) => !acct.findByEmail(e));
  if (!free.length) return null;
  const email = rng.pick(free);
  const unsubscribed = rng.chance(0.1);
  const lists = rng.pick([[t.lists.target], [t.lists.other], [t.lists.target, t.lists.other], []]);
  const input = {
    create_source: 'Account' as const,
    first_name: pick.first(rng),
    last_name: pick.last(rng),
    ...(rng.chance(0.7) ? { job_title: rng.pick(TITLES) } : {}),
    email: {
      address: email,
      permission: unsubscribed ? ('unsubscribed' as const) : ('implicit' as const),
    },
    list_memberships: lists,
  };
  const contact = createContact(world.sync.cc.store, acct, input, world.clock.now());
  t.userContacts.add(contact.contact_id);
  if (unsubscribed) t.optedOut.add(contact.contact_id);
  return `${t.alias(contact.contact_id)} ${JSON.stringify({ ...input, create_source: undefined, email: `${email}${unsubscribed ? ' (unsubscribed)' : ''}` })}`;
}
