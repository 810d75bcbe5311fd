/** Shared input builders for the planner tests (plan-new, plan-linked). */
import { rowId } from '../../../server/sync/core/fields.ts';
import type { ContactSnapshot } from '../../../server/sync/core/map.ts';
import type { LinkSnapshot, PlanInput, SyncAction } from '../../../server/sync/core/plan.ts';
import { compile, contact, rows } from './fixtures.ts';

export const NOW = '2026-11-26T10:00:00.000Z';
export const fields = compile([
  rows.first,
  rows.last,
  rows.job,
  rows.org,
  rows.phone,
  rows.industry,
  rows.birthday,
]);
export const F = {
  first: rowId(rows.first),
  last: rowId(rows.last),
  job: rowId(rows.job),
  org: rowId(rows.org),
  phone: rowId(rows.phone),
  industry: rowId(rows.industry),
  birthday: rowId(rows.birthday),
};

export function input(over: Partial<PlanInput> = {}): PlanInput {
  return {
    person: null,
    contact: null,
    link: null,
    settings: {
      direction: 'two_way',
      conflictWinner: 'pipedrive',
      targetListIds: ['list-1'],
      newPersonOwnerId: 7,
    },
    fields,
    inPipedriveRule: true,
    inCcRule: true,
    now: NOW,
    ...over,
  };
}

/** A link whose base matches the fixture person and contact as they start out. */
export function link(over: Partial<LinkSnapshot> = {}): LinkSnapshot {
  return {
    personId: 1,
    contactId: 'c-1',
    state: 'active',
    base: {
      email: 'ann@example.com',
      values: {
        [F.first]: 'Ann',
        [F.last]: 'Lee',
        [F.job]: null,
        [F.org]: null,
        [F.phone]: null,
        [F.industry]: null,
        [F.birthday]: null,
      },
    },
    ...over,
  };
}

export const kinds = (actions: SyncAction[]) => actions.map((a) => a.kind);
export const unsubscribed = (over: Partial<ContactSnapshot> = {}) =>
  contact({
    email_address: { address: 'ann@example.com', permission_to_send: 'unsubscribed' },
    ...over,
  });
