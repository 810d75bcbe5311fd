/**
 * What the simulated users and the simulated outages do. Each op reads the fakes' current
 * state, picks with the seed's RNG, applies itself, and returns the line it adds to the trace
 * (null when it found nothing to act on).
 */

import { personEmail } from '../../server/sync/core/normalise.ts';
import { softDelete } from '../fakes/constant-contact/contacts.ts';
import {
  account,
  company,
  contactIn,
  describePerson,
  MAPPED,
  personBody,
  pick,
  type Tenant,
} from './tenant.ts';
import type { SimWorld } from './world.ts';

type Op = (world: SimWorld, t: Tenant) => string | null;

const livePersons = (world: SimWorld, t: Tenant) =>
  [...company(world, t).persons.values()].filter((p) => !p.is_deleted).sort((a, b) => a.id - b.id);
const liveContacts = (world: SimWorld, t: Tenant) =>
  account(world, t).order.filter((c) => c.deletedAt === undefined);

export const pipedriveOps: Record<string, Op> = {
  'pd.create': (world, t) => {
    const body = personBody(t);
    const person = world.sync.pd.control.ui.createPerson(t.companyId, body);
    t.userPersons.add(person.id);
    return `${t.alias(person.id)} ${describePerson(body)}`;
  },
  'pd.edit': (world, t) => {
    const persons = livePersons(world, t);
    if (!persons.length) return null;
    const person = t.rng.pick(persons);
    const field = t.rng.pick(MAPPED);
    const value = pick.value(t.rng, field);
    // Pipedrive wants both name parts when one is given (reference 4.2).
    const names = { first_name: person.first_name, last_name: person.last_name };
    const body = field === 'job_title' ? { job_title: value } : { ...names, [field]: value };
    world.sync.pd.control.ui.updatePerson(t.companyId, person.id, body);
    return `${t.alias(person.id)} ${field}=${JSON.stringify(value)}`;
  },
  'pd.email': (world, t) => {
    const persons = livePersons(world, t);
    if (!persons.length) return null;
    const person = t.rng.pick(persons);
    const email = t.rng.pick(t.emails);
    const before = personEmail(person.emails);
    // Half the time the old address stays as a secondary one, as people often keep it.
    const emails = [
      { value: email, primary: true, label: 'work' },
      ...(before.ok && before.email !== email && t.rng.chance(0.5)
        ? [{ value: before.email, primary: false, label: 'home' }]
        : []),
    ];
    world.sync.pd.control.ui.updatePerson(t.companyId, person.id, { emails });
    t.emailsEdited.add(person.id);
    return `${t.alias(person.id)} emails=${emails.map((e) => e.value).join(',')}`;
  },
  'pd.delete': (world, t) => {
    const persons = livePersons(world, t);
    if (!persons.length) return null;
    const person = t.rng.pick(persons);
    world.sync.pd.control.ui.deletePerson(t.companyId, person.id);
    return `${t.alias(person.id)} deleted`;
  },
  'pd.merge': (world, t) => {
    const persons = livePersons(world, t);
    if (persons.length < 2) return null;
    const gone = t.rng.pick(persons);
    const survivor = t.rng.pick(persons.filter((p) => p !== gone));
    world.sync.pd.control.ui.mergePersons(t.companyId, gone.id, survivor.id);
    t.merges.push({ gone: gone.id, survivor: survivor.id });
    return `${t.alias(gone.id)} merged into ${t.alias(survivor.id)}`;
  },
  // Filter seeds only (see opNames): a user moves a person into or out of the synced filter by
  // its label. Real Pipedrive fires a person change webhook for the label, but none for the
  // filter membership: only the scan (scheduled, or "Sync now") sees who entered or left.
  'pd.filter': (world, t) => {
    const { filter } = t;
    const persons = livePersons(world, t);
    if (!filter || !persons.length) return null;
    const person = t.rng.pick(persons);
    const member = !person.label_ids.includes(filter.label);
    const label_ids = pick.labels(t.rng, filter, member);
    world.sync.pd.control.ui.updatePerson(t.companyId, person.id, { label_ids });
    return `${t.alias(person.id)} label_ids=[${label_ids.join(',')}] (now ${member ? 'in' : 'out of'} the filter)`;
  },
};

/** The ops a seed draws from: pd.filter only where the connection syncs a filter. */
export function opNames(ops: Record<string, Op>, t: Tenant): string[] {
  return Object.keys(ops).filter((name) => name !== 'pd.filter' || t.filter !== null);
}

export const ccOps: Record<string, Op> = {
  'cc.create': (world, t) => contactIn(world, t),
  'cc.edit': (world, t) => {
    const contacts = liveContacts(world, t);
    if (!contacts.length) return null;
    const contact = t.rng.pick(contacts);
    const field = t.rng.pick(MAPPED);
    const value = pick.value(t.rng, field);
    world.sync.cc.control.editInUi(t.accountId, contact.contact_id, { [field]: value });
    return `${t.alias(contact.contact_id)} ${field}=${JSON.stringify(value)}`;
  },
  'cc.email': (world, t) => {
    const contacts = liveContacts(world, t);
    const acct = account(world, t);
    const free = t.emails.filter((e) => !acct.findByEmail(e));
    if (!contacts.length || !free.length) return null;
    const contact = t.rng.pick(contacts);
    const email = t.rng.pick(free);
    world.sync.cc.control.editInUi(t.accountId, contact.contact_id, { email });
    return `${t.alias(contact.contact_id)} email=${email}`;
  },
  'cc.delete': (world, t) => {
    const contacts = liveContacts(world, t);
    if (!contacts.length) return null;
    const contact = t.rng.pick(contacts);
    softDelete(world.sync.cc.store, contact, world.clock.now());
    return `${t.alias(contact.contact_id)} deleted`;
  },
  'cc.optout': (world, t) => {
    const contacts = liveContacts(world, t).filter((c) => c.email?.permission !== 'unsubscribed');
    if (!contacts.length) return null;
    const contact = t.rng.pick(contacts);
    world.sync.cc.control.unsubscribe(t.accountId, contact.contact_id);
    t.optedOut.add(contact.contact_id);
    return `${t.alias(contact.contact_id)} opted out`;
  },
  'cc.lists': (world, t) => {
    const contacts = liveContacts(world, t);
    if (!contacts.length) return null;
    const contact = t.rng.pick(contacts);
    const lists = t.rng.pick([
      [t.lists.target],
      [t.lists.other],
      [t.lists.target, t.lists.other],
      [],
    ]);
    world.sync.cc.control.editInUi(t.accountId, contact.contact_id, { list_memberships: lists });
    const names = lists.map((l) => (l === t.lists.target ? 'target' : 'other'));
    return `${t.alias(contact.contact_id)} lists=[${names.join(',')}]`;
  },
};

const PATHS = { pipedrive: '^/(api|v1)/', cc: '^/v3/' } as const;

/** Outages of the next few calls to one side (they take effect wherever those calls come from). */
export const faultOps: Record<string, Op> = {
  'fault.429': (world, t) => fault(world, t, { kind: 'status', status: 429 }),
  'fault.5xx': (world, t) =>
    fault(world, t, { kind: 'status', status: t.rng.pick([500, 502, 503]) }),
  'fault.timeout': (world, t) => fault(world, t, { kind: 'hang', hangMs: 5 }),
  'fault.reset': (world, t) => fault(world, t, { kind: 'reset' }),
  'fault.token': (world, t) => {
    // Pipedrive: the tokens expire early at the fake; CC: the next call answers 401.
    if (t.rng.chance(0.5)) {
      for (const token of world.sync.pd.store.accessTokens.values())
        if (token.companyId === t.companyId) token.expiresAt = world.clock.now();
      return 'pipedrive access token expired';
    }
    // One 401: the client refreshes and retries, as after a real expiry.
    world.sync.cc.faults.add({ path: PATHS.cc, times: 1, kind: 'status', status: 401 });
    return 'cc access token expired';
  },
};

function fault(
  world: SimWorld,
  t: Tenant,
  shape: { kind: 'status' | 'hang' | 'reset'; status?: number; hangMs?: number },
): string {
  const side = t.rng.chance(0.5) ? 'pipedrive' : 'cc';
  const times = t.rng.int(1, 3);
  const fake = side === 'cc' ? world.sync.cc : world.sync.pd;
  fake.faults.add({ path: PATHS[side], times, ...shape });
  return `${side} next ${times} calls: ${shape.kind === 'status' ? shape.status : shape.kind}`;
}

export function clearFaults(world: SimWorld): void {
  world.sync.pd.faults.clear();
  world.sync.cc.faults.clear();
}

/** The next write to `side` lands, then the worker dies: its answer and every later call fail. */
export function armKill(world: SimWorld, t: Tenant): string {
  const side = t.rng.chance(0.5) ? 'pipedrive' : 'cc';
  world.recorder.kill = {
    side,
    fired: false,
    onFire: () => {
      for (const fake of [world.sync.pd, world.sync.cc])
        fake.faults.add({ path: '.*', kind: 'reset', times: 10_000 });
    },
  };
  return `worker dies after its next ${side} write`;
}
