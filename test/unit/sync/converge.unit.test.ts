/**
 * Seeded random pairs through the planner: apply the planned bodies to the snapshots the way
 * the APIs would, plan again with the new base, and check the pair has converged (no further
 * writes: echoes do nothing) and that no action ever sets a permission except on a create.
 */
import { describe, expect, it } from 'vitest';
import { rowId } from '../../../server/sync/core/fields.ts';
import type { ContactSnapshot, PersonSnapshot } from '../../../server/sync/core/map.ts';
import { readContact, readPerson } from '../../../server/sync/core/map.ts';
import type { ContactWrite, PersonWrite } from '../../../server/sync/core/map-write.ts';
import { sameValue } from '../../../server/sync/core/normalise.ts';
import { type LinkBase, type PlanInput, plan } from '../../../server/sync/core/plan.ts';
import { CF, compile, contact, KEY, person, rows } from './fixtures.ts';

const fields = compile([
  rows.first,
  rows.last,
  rows.job,
  { ...rows.phone, direction: 'to_cc' },
  rows.industry,
  rows.interests,
]);

function rng(seed: number) {
  let s = seed;
  return <T>(items: readonly T[]): T => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    // High bits: the low bits of this generator cycle quickly.
    return items[(s >>> 16) % items.length] as T;
  };
}

function applyPerson(p: PersonSnapshot, body: PersonWrite): PersonSnapshot {
  return { ...p, ...body, custom_fields: { ...p.custom_fields, ...body.custom_fields } };
}

function applyContact(c: ContactSnapshot, body: ContactWrite): ContactSnapshot {
  return {
    ...c,
    ...body,
    email_address: {
      ...c.email_address,
      ...body.email_address,
    } as ContactSnapshot['email_address'],
  };
}

function randomPair(pick: ReturnType<typeof rng>) {
  const p = person({
    first_name: pick(['Ann', 'Bo']),
    last_name: pick(['Lee', 'Ng']),
    job_title: pick([null, 'CEO', 'Boss']),
    phones: pick([[], [{ value: '+1 555', primary: true }], [{ value: '999' }]]),
    custom_fields: { [KEY.industry]: pick([null, 1, 2]), [KEY.tags]: pick([null, [10], [12, 10]]) },
  });
  const c = contact({
    first_name: pick(['Ann', 'Bo']),
    last_name: pick(['Lee', 'Ng']),
    job_title: pick([null, 'CEO', 'Boss']),
    phone_numbers: pick([[], [{ phone_number: '1555', kind: 'work' }]]),
    email_address: {
      address: 'ann@example.com',
      permission_to_send: pick(['implicit', 'explicit', 'unsubscribed']),
    },
    custom_fields: [
      { custom_field_id: CF.text, value: pick([null, 'Mining', 'retail']) },
      { custom_field_id: CF.interests, value: pick([null, 'golf', 'Chess, Golf']) },
    ],
  });
  return { p, c };
}

describe('convergence over seeded random pairs', () => {
  it('one round of writes brings every pair in sync, and the next round writes nothing', () => {
    const seen = { conflicts: 0, toPipedrive: 0, toCc: 0, unsubscribed: 0 };
    for (let seed = 1; seed <= 400; seed++) {
      const pick = rng(seed);
      const { p, c } = randomPair(pick);
      const winner = pick(['pipedrive', 'constant_contact'] as const);
      // Half the pairs are new (no link), half are linked with a base taken from another pair.
      const other = randomPair(pick);
      const base: LinkBase | null = pick([true, false])
        ? { email: 'ann@example.com', values: readPerson(other.p, fields).values }
        : null;
      const common: Omit<PlanInput, 'person' | 'contact' | 'link'> = {
        settings: {
          direction: 'two_way',
          conflictWinner: winner,
          targetListIds: ['l'],
          newPersonOwnerId: 1,
        },
        fields,
        inPipedriveRule: true,
        inCcRule: true,
        now: 'now',
      };
      const link = base ? { personId: 1, contactId: 'c-1', state: 'active' as const, base } : null;
      const first = plan({ ...common, person: p, contact: c, link });

      seen.conflicts += first.conflicts.length;
      if (c.email_address?.permission_to_send === 'unsubscribed') seen.unsubscribed++;
      let p2 = p;
      let c2 = c;
      for (const a of first.actions) {
        if (a.kind === 'update_person') {
          p2 = applyPerson(p2, a.body);
          seen.toPipedrive++;
        }
        if (a.kind === 'update_contact') {
          c2 = applyContact(c2, a.body);
          seen.toCc++;
        }
        expect(a.kind).not.toBe('record_error');
        expect(JSON.stringify(a)).not.toContain('permission_to_send');
      }
      expect(c2.email_address?.permission_to_send).toBe(c.email_address?.permission_to_send);

      const pv = readPerson(p2, fields).values;
      const cv = readContact(c2, fields).values;
      for (const f of fields) {
        if (f.direction === 'both') {
          expect(
            sameValue(f.kind, pv[f.id] ?? null, cv[f.id] ?? null),
            `seed ${seed} ${f.id}`,
          ).toBe(true);
        }
      }
      const again = plan({
        ...common,
        person: p2,
        contact: c2,
        link: { personId: 1, contactId: 'c-1', state: 'active', base: first.base },
      });
      expect(again.actions, `seed ${seed}`).toEqual([{ kind: 'nothing', reason: 'in_sync' }]);
    }
    // The generator really exercised every path.
    expect(seen.conflicts).toBeGreaterThan(50);
    expect(seen.toPipedrive).toBeGreaterThan(50);
    expect(seen.toCc).toBeGreaterThan(50);
    expect(seen.unsubscribed).toBeGreaterThan(50);
  });

  it('the phone row (to_cc) never writes Pipedrive', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const { p, c } = randomPair(rng(seed));
      const result = plan({
        person: p,
        contact: c,
        link: null,
        settings: {
          direction: 'two_way',
          conflictWinner: 'constant_contact',
          targetListIds: ['l'],
        },
        fields,
        inPipedriveRule: true,
        inCcRule: true,
        now: 'now',
      });
      for (const a of result.actions) {
        if (a.kind === 'update_person') expect(a.fields).not.toContain(rowId(rows.phone));
      }
    }
  });
});
