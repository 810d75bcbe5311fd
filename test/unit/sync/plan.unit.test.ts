import { describe, expect, it } from 'vitest';
import { chooseByEmail } from '../../../server/sync/core/duplicates.ts';
import { rowId } from '../../../server/sync/core/fields.ts';
import type { ContactSnapshot } from '../../../server/sync/core/map.ts';
import {
  type LinkSnapshot,
  type PlanInput,
  plan,
  type SyncAction,
} from '../../../server/sync/core/plan.ts';
import { CF, compile, contact, KEY, person, rows } from './fixtures.ts';

const NOW = '2026-11-26T10:00:00.000Z';
const fields = compile([
  rows.first,
  rows.last,
  rows.job,
  rows.org,
  rows.phone,
  rows.industry,
  rows.birthday,
]);
const F = {
  first: rowId(rows.first),
  last: rowId(rows.last),
  job: rowId(rows.job),
  org: rowId(rows.org),
  phone: rowId(rows.phone),
  industry: rowId(rows.industry),
  birthday: rowId(rows.birthday),
};

function input(over: Partial<PlanInput> = {}): PlanInput {
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
function link(over: Partial<LinkSnapshot> = {}): LinkSnapshot {
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

const kinds = (actions: SyncAction[]) => actions.map((a) => a.kind);
const unsubscribed = (over: Partial<ContactSnapshot> = {}) =>
  contact({
    email_address: { address: 'ann@example.com', permission_to_send: 'unsubscribed' },
    ...over,
  });

describe('new pair matched by email', () => {
  it('links and reconciles by the initial rules: empty never overwrites, winner decides', () => {
    const p = plan(
      input({
        person: person({ job_title: 'CEO', phones: [], custom_fields: { [KEY.industry]: 1 } }),
        contact: contact({
          job_title: 'Boss',
          phone_numbers: [{ phone_number: '+1 555', kind: 'work' }],
          custom_fields: [],
        }),
      }),
    );
    expect(kinds(p.actions)).toEqual(['link', 'update_contact', 'update_person']);
    expect(p.actions[0]).toEqual({
      kind: 'link',
      personId: 1,
      contactId: 'c-1',
      email: 'ann@example.com',
      unsubscribed: false,
      at: NOW,
    });
    // Job title differs on both: Pipedrive (winner) → CC; industry only in Pipedrive → CC.
    expect(p.actions[1]).toMatchObject({
      kind: 'update_contact',
      body: { job_title: 'CEO', custom_fields: [{ custom_field_id: CF.text, value: 'Mining' }] },
    });
    // Phone only in CC → Pipedrive; nothing empty is written anywhere.
    expect(p.actions[2]).toMatchObject({
      kind: 'update_person',
      body: { phones: [{ value: '+1 555', primary: true }] },
    });
    expect(p.conflicts).toEqual([
      { fieldId: F.job, pipedrive: 'CEO', cc: 'Boss', winner: 'pipedrive' },
    ]);
    expect(p.base).toEqual({
      email: 'ann@example.com',
      values: {
        [F.first]: 'Ann',
        [F.last]: 'Lee',
        [F.job]: 'CEO',
        [F.org]: null,
        [F.phone]: '+1 555',
        [F.industry]: 'Mining',
        [F.birthday]: null,
      },
    });
  });

  it('with CC as conflict winner, CC’s value goes to Pipedrive', () => {
    const p = plan(
      input({
        settings: { ...input().settings, conflictWinner: 'constant_contact' },
        person: person({ job_title: 'CEO' }),
        contact: contact({ job_title: 'Boss' }),
      }),
    );
    expect(kinds(p.actions)).toEqual(['link', 'update_person']);
    expect(p.actions[1]).toMatchObject({ body: { job_title: 'Boss' } });
  });

  it('an identical pair is only linked', () => {
    const p = plan(input({ person: person(), contact: contact() }));
    expect(kinds(p.actions)).toEqual(['link']);
  });

  it('an opted-out contact is linked and never resubscribed', () => {
    const p = plan(input({ person: person({ job_title: 'CEO' }), contact: unsubscribed() }));
    expect(kinds(p.actions)).toEqual(['link', 'update_contact']);
    expect(p.actions[0]).toMatchObject({ unsubscribed: true });
    expect(JSON.stringify(p.actions)).not.toContain('permission_to_send');
  });

  it('neither rule matches → nothing', () => {
    const p = plan(
      input({ person: person(), contact: contact(), inPipedriveRule: false, inCcRule: false }),
    );
    expect(p.actions).toEqual([{ kind: 'nothing', reason: 'out_of_rule' }]);
  });
});

describe('person without contact', () => {
  it('creates the contact with permission implicit on the target lists', () => {
    const p = plan(
      input({ person: person({ job_title: 'CEO', phones: [{ value: '5', primary: true }] }) }),
    );
    expect(p.actions).toEqual([
      {
        kind: 'create_contact',
        personId: 1,
        email: 'ann@example.com',
        permission: 'implicit',
        listIds: ['list-1'],
        body: {
          first_name: 'Ann',
          last_name: 'Lee',
          job_title: 'CEO',
          phone_numbers: [{ phone_number: '5', kind: 'work' }],
          email_address: { address: 'ann@example.com', permission_to_send: 'implicit' },
          list_memberships: ['list-1'],
        },
      },
    ]);
    expect(p.base?.values[F.job]).toBe('CEO');
  });

  it('creates nothing when the direction is CC → Pipedrive or the person is out of the rule', () => {
    expect(
      plan(
        input({ person: person(), settings: { ...input().settings, direction: 'to_pipedrive' } }),
      ).actions,
    ).toEqual([{ kind: 'nothing', reason: 'out_of_rule' }]);
    expect(kinds(plan(input({ person: person(), inPipedriveRule: false })).actions)).toEqual([
      'nothing',
    ]);
  });

  it('a person without a valid email is excluded with the reason, not an error', () => {
    expect(plan(input({ person: person({ emails: [] }) })).actions).toEqual([
      { kind: 'exclude', side: 'pipedrive', id: 1, reason: 'EMAIL_MISSING' },
    ]);
    expect(
      plan(input({ person: person({ emails: [{ value: 'nope', primary: true }] }) })).actions,
    ).toEqual([{ kind: 'exclude', side: 'pipedrive', id: 1, reason: 'EMAIL_INVALID' }]);
  });

  it('a duplicate person (older one owns the email) gets DUPLICATE_EMAIL and nothing is created', () => {
    const p = plan(input({ person: person({ id: 5 }), duplicateOf: 1 }));
    expect(p.actions).toEqual([
      {
        kind: 'record_error',
        code: 'DUPLICATE_EMAIL',
        personId: 5,
        detail: 'The oldest person with this email (id 1) is synced instead.',
      },
    ]);
    expect(p.base).toBeNull();
  });

  it('a deleted CC contact with that email is revived (lists, no permission change) and linked', () => {
    const deleted = contact({ deleted_at: '2025-05-01', job_title: 'Old', list_memberships: [] });
    const p = plan(input({ person: person({ job_title: 'CEO' }), contact: deleted }));
    expect(kinds(p.actions)).toEqual(['link', 'revive_contact']);
    expect(p.actions[1]).toMatchObject({
      kind: 'revive_contact',
      contactId: 'c-1',
      listIds: ['list-1'],
      body: { job_title: 'CEO', list_memberships: ['list-1'] },
    });
    expect(JSON.stringify(p.actions)).not.toContain('permission_to_send');
  });

  it('a deleted, opted-out contact is revived onto the lists but stays opted out', () => {
    const p = plan(
      input({ person: person(), contact: unsubscribed({ deleted_at: '2025-05-01' }) }),
    );
    expect(p.actions[0]).toMatchObject({ kind: 'link', unsubscribed: true });
    expect(JSON.stringify(p.actions)).not.toContain('permission_to_send');
  });
});

describe('contact without person', () => {
  it('creates the person with the chosen owner', () => {
    const p = plan(
      input({ contact: contact({ job_title: 'Boss', birthday_month: 3, birthday_day: 4 }) }),
    );
    expect(p.actions).toEqual([
      {
        kind: 'create_person',
        contactId: 'c-1',
        email: 'ann@example.com',
        ownerId: 7,
        body: {
          first_name: 'Ann',
          last_name: 'Lee',
          job_title: 'Boss',
          emails: [{ value: 'ann@example.com', primary: true, label: 'work' }],
          owner_id: 7,
        },
      },
    ]);
    // The birthday could not be written (no year): its base is left out, so it stays "initial".
    expect(p.warnings).toEqual([expect.objectContaining({ code: 'BIRTHDAY_YEAR_UNKNOWN' })]);
    expect(p.base?.values).not.toHaveProperty(F.birthday);
  });

  it('a contact without names gets its email as the person name', () => {
    const p = plan(input({ contact: contact({ first_name: null, last_name: null }) }));
    expect(p.actions[0]).toMatchObject({
      kind: 'create_person',
      body: { name: 'ann@example.com' },
    });
  });

  it('nothing when the direction is Pipedrive → CC, the contact is out of its rule or deleted', () => {
    const to_cc = { ...input().settings, direction: 'to_cc' as const };
    expect(kinds(plan(input({ contact: contact(), settings: to_cc })).actions)).toEqual([
      'nothing',
    ]);
    expect(kinds(plan(input({ contact: contact(), inCcRule: false })).actions)).toEqual([
      'nothing',
    ]);
    expect(plan(input({ contact: contact({ deleted_at: '2025-01-01' }) })).actions).toEqual([
      { kind: 'nothing', reason: 'no_counterpart' },
    ]);
  });

  it('an opted-out contact creates a person but nothing touches its permission', () => {
    const p = plan(input({ contact: unsubscribed() }));
    expect(kinds(p.actions)).toEqual(['create_person']);
    expect(JSON.stringify(p.actions)).not.toContain('permission_to_send');
  });

  it('a contact without an email is excluded', () => {
    expect(plan(input({ contact: contact({ email_address: null }) })).actions).toEqual([
      { kind: 'exclude', side: 'cc', id: 'c-1', reason: 'EMAIL_MISSING' },
    ]);
  });
});

describe('linked pair, continuous sync', () => {
  it('in sync (including an echo of our own write) → nothing', () => {
    const p = plan(input({ link: link(), person: person(), contact: contact() }));
    expect(p.actions).toEqual([{ kind: 'nothing', reason: 'in_sync' }]);
    expect(p.base).toEqual(link().base);
  });

  it('a Pipedrive change updates CC only, and the new base records it', () => {
    const p = plan(
      input({ link: link(), person: person({ job_title: 'CEO' }), contact: contact() }),
    );
    expect(p.actions).toEqual([
      {
        kind: 'update_contact',
        personId: 1,
        contactId: 'c-1',
        body: { job_title: 'CEO' },
        fields: [F.job],
      },
    ]);
    expect(p.base?.values[F.job]).toBe('CEO');
    // The echo: next run, CC reports CEO too → nothing.
    const next = plan(
      input({
        link: link({ base: p.base }),
        person: person({ job_title: 'CEO' }),
        contact: contact({ job_title: 'CEO' }),
      }),
    );
    expect(kinds(next.actions)).toEqual(['nothing']);
  });

  it('a CC change updates Pipedrive only; clearing a field is copied after the initial sync', () => {
    const p = plan(
      input({ link: link(), person: person(), contact: contact({ last_name: null }) }),
    );
    expect(p.actions).toEqual([
      {
        kind: 'update_person',
        personId: 1,
        contactId: 'c-1',
        body: { first_name: 'Ann', last_name: '' },
        fields: [F.last],
      },
    ]);
  });

  it('both changed differently → conflict winner, reported', () => {
    const p = plan(
      input({
        link: link(),
        person: person({ job_title: 'CEO' }),
        contact: contact({ job_title: 'Boss' }),
      }),
    );
    expect(kinds(p.actions)).toEqual(['update_contact']);
    expect(p.conflicts).toEqual([
      { fieldId: F.job, pipedrive: 'CEO', cc: 'Boss', winner: 'pipedrive' },
    ]);
  });

  it('both changed to the same value → no write, base moves', () => {
    const p = plan(
      input({
        link: link(),
        person: person({ job_title: 'CEO' }),
        contact: contact({ job_title: 'CEO' }),
      }),
    );
    expect(kinds(p.actions)).toEqual(['nothing']);
    expect(p.base?.values[F.job]).toBe('CEO');
  });

  it('organization name is written to CC only (read-only towards Pipedrive)', () => {
    const p = plan(
      input({ link: link(), person: person(), contact: contact({ company_name: 'Other' }) }),
    );
    expect(kinds(p.actions)).toEqual(['nothing']);
    const q = plan(
      input({
        link: link(),
        person: person({ organization: { name: 'Acme' } }),
        contact: contact({ company_name: 'Other' }),
      }),
    );
    expect(q.actions).toEqual([
      expect.objectContaining({ kind: 'update_contact', body: { company_name: 'Acme' } }),
    ]);
  });

  it('a CC label that is no Pipedrive option → OPTION_LABEL_MISSING; other fields sync; base kept', () => {
    const p = plan(
      input({
        link: link({
          base: { ...link().base!, values: { ...link().base!.values, [F.industry]: 'Mining' } },
        }),
        person: person({ custom_fields: { [KEY.industry]: 1 } }),
        contact: contact({
          job_title: 'Boss',
          custom_fields: [{ custom_field_id: CF.text, value: 'Farming' }],
        }),
      }),
    );
    expect(p.actions).toEqual([
      {
        kind: 'update_person',
        personId: 1,
        contactId: 'c-1',
        body: { job_title: 'Boss' },
        fields: [F.job],
      },
      {
        kind: 'record_error',
        code: 'OPTION_LABEL_MISSING',
        personId: 1,
        contactId: 'c-1',
        fieldId: F.industry,
        detail: 'Industry: “Farming” is not an option',
      },
    ]);
    expect(p.base?.values[F.industry]).toBe('Mining');
    expect(p.base?.values[F.job]).toBe('Boss');
  });

  it('an existing label in another case maps to the option', () => {
    const p = plan(
      input({
        link: link(),
        person: person(),
        contact: contact({ custom_fields: [{ custom_field_id: CF.text, value: 'retail' }] }),
      }),
    );
    expect(p.actions).toEqual([
      expect.objectContaining({
        kind: 'update_person',
        body: { custom_fields: { [KEY.industry]: 2 } },
      }),
    ]);
  });

  it('the rule gates each flow: a person out of the Pipedrive rule sends nothing to CC', () => {
    const p = plan(
      input({
        link: link(),
        person: person({ job_title: 'CEO' }),
        contact: contact(),
        inPipedriveRule: false,
      }),
    );
    expect(kinds(p.actions)).toEqual(['nothing']);
    const q = plan(
      input({
        link: link(),
        person: person(),
        contact: contact({ job_title: 'Boss' }),
        inPipedriveRule: false,
      }),
    );
    expect(kinds(q.actions)).toEqual(['update_person']);
  });

  it('a truncated value is written shortened with a warning', () => {
    const p = plan(
      input({ link: link(), person: person({ job_title: 'x'.repeat(70) }), contact: contact() }),
    );
    expect(p.actions[0]).toMatchObject({
      kind: 'update_contact',
      body: { job_title: 'x'.repeat(50) },
    });
    expect(p.warnings).toEqual([
      expect.objectContaining({ code: 'FIELD_TRUNCATED', fieldId: F.job }),
    ]);
    // Next run the shortened value is in sync: no write, no repeated warning.
    const next = plan(
      input({
        link: link({ base: p.base }),
        person: person({ job_title: 'x'.repeat(70) }),
        contact: contact({ job_title: 'x'.repeat(50) }),
      }),
    );
    expect(kinds(next.actions)).toEqual(['nothing']);
    expect(next.warnings).toEqual([]);
  });

  it('never sets a permission on an opted-out contact, whatever changes', () => {
    const p = plan(
      input({
        link: link(),
        person: person({ job_title: 'CEO', emails: [{ value: 'new@example.com', primary: true }] }),
        contact: unsubscribed(),
      }),
    );
    expect(kinds(p.actions)).toEqual(['update_contact']);
    expect(p.actions[0]).toMatchObject({ body: { email_address: { address: 'new@example.com' } } });
    expect(JSON.stringify(p.actions)).not.toContain('permission_to_send');
  });
});

describe('linked pair, email changes', () => {
  it('a Pipedrive email change updates the CC email (followed by id, not by email)', () => {
    const p = plan(
      input({
        link: link(),
        person: person({ emails: [{ value: 'New@Example.com', primary: true }] }),
        contact: contact(),
      }),
    );
    expect(p.actions).toEqual([
      {
        kind: 'update_contact',
        personId: 1,
        contactId: 'c-1',
        body: { email_address: { address: 'new@example.com' } },
        fields: [],
      },
    ]);
    expect(p.base?.email).toBe('new@example.com');
  });

  it('a CC email change updates the person’s primary email', () => {
    const p = plan(
      input({
        link: link(),
        person: person({
          emails: [
            { value: 'ann@example.com', primary: true, label: 'work' },
            { value: 'h@x.io', label: 'home' },
          ],
        }),
        contact: contact({
          email_address: { address: 'ann2@example.com', permission_to_send: 'implicit' },
        }),
      }),
    );
    expect(p.actions).toEqual([
      expect.objectContaining({
        kind: 'update_person',
        body: {
          emails: [
            { value: 'ann2@example.com', primary: true, label: 'work' },
            { value: 'h@x.io', label: 'home' },
          ],
        },
      }),
    ]);
  });

  it('a collision with another linked contact → EMAIL_COLLISION, nothing overwritten, base kept', () => {
    const p = plan(
      input({
        link: link(),
        person: person({ job_title: 'CEO', emails: [{ value: 'bob@example.com', primary: true }] }),
        contact: contact(),
        emailTaken: true,
      }),
    );
    expect(p.actions).toEqual([
      {
        kind: 'record_error',
        code: 'EMAIL_COLLISION',
        personId: 1,
        contactId: 'c-1',
        detail: 'The new email bob@example.com belongs to another synced contact.',
      },
    ]);
    expect(p.base).toEqual(link().base);
  });

  it('the collision flag is ignored when no email is being written', () => {
    const p = plan(
      input({
        link: link(),
        person: person({ job_title: 'CEO' }),
        contact: contact(),
        emailTaken: true,
      }),
    );
    expect(kinds(p.actions)).toEqual(['update_contact']);
  });

  it('both emails changed differently → conflict winner, reported under "email"', () => {
    const p = plan(
      input({
        settings: { ...input().settings, conflictWinner: 'constant_contact' },
        link: link(),
        person: person({ emails: [{ value: 'p@example.com', primary: true }] }),
        contact: contact({
          email_address: { address: 'c@example.com', permission_to_send: 'implicit' },
        }),
      }),
    );
    expect(p.actions).toEqual([
      expect.objectContaining({
        kind: 'update_person',
        body: { emails: [{ value: 'c@example.com', primary: true }] },
      }),
    ]);
    expect(p.conflicts).toEqual([
      {
        fieldId: 'email',
        pipedrive: 'p@example.com',
        cc: 'c@example.com',
        winner: 'constant_contact',
      },
    ]);
    expect(p.base?.email).toBe('c@example.com');
  });

  it('an email removed or made invalid on one side is not copied', () => {
    const p = plan(input({ link: link(), person: person({ emails: [] }), contact: contact() }));
    expect(kinds(p.actions)).toEqual(['nothing']);
    expect(p.base?.email).toBe('ann@example.com');
  });
});

describe('linked pair, deletes and rules', () => {
  it('person deleted → link marked, contact kept and untouched; marked once', () => {
    const p = plan(
      input({ link: link(), person: person({ is_deleted: true }), contact: contact() }),
    );
    expect(p.actions).toEqual([
      { kind: 'mark_link', personId: 1, contactId: 'c-1', state: 'person_deleted', at: NOW },
    ]);
    expect(
      plan(input({ link: link({ state: 'person_deleted' }), person: null, contact: contact() }))
        .actions,
    ).toEqual([{ kind: 'nothing', reason: 'already_marked' }]);
  });

  it('a Pipedrive merge moves the link to the surviving person, base kept, contact untouched', () => {
    const p = plan(
      input({
        link: link(),
        person: person({ is_deleted: true }),
        contact: contact(),
        mergedInto: { personId: 2, survivorLinked: false },
      }),
    );
    expect(p.actions).toEqual([
      { kind: 'move_link', contactId: 'c-1', fromPersonId: 1, toPersonId: 2, at: NOW },
    ]);
    expect(p.base).toEqual(link().base);
  });

  it('a merge into a person that has its own link only marks the merged person’s link', () => {
    const p = plan(
      input({
        link: link(),
        person: null,
        contact: contact(),
        mergedInto: { personId: 2, survivorLinked: true },
      }),
    );
    expect(p.actions).toEqual([
      { kind: 'mark_link', personId: 1, contactId: 'c-1', state: 'person_deleted', at: NOW },
    ]);
  });

  it('contact deleted → link marked, person kept and untouched', () => {
    const p = plan(
      input({ link: link(), person: person(), contact: contact({ deleted_at: '2025-01-01' }) }),
    );
    expect(p.actions).toEqual([
      { kind: 'mark_link', personId: 1, contactId: 'c-1', state: 'contact_deleted', at: NOW },
    ]);
    expect(p.base).toEqual(link().base);
  });

  it('contact deleted, then the person changes while in the rule → revived', () => {
    const p = plan(
      input({
        link: link({ state: 'contact_deleted' }),
        person: person({ job_title: 'CEO' }),
        contact: contact({ deleted_at: '2025-01-01', list_memberships: [] }),
      }),
    );
    expect(p.actions).toEqual([
      { kind: 'mark_link', personId: 1, contactId: 'c-1', state: 'active', at: NOW },
      {
        kind: 'revive_contact',
        contactId: 'c-1',
        personId: 1,
        listIds: ['list-1'],
        body: { job_title: 'CEO', list_memberships: ['list-1'] },
      },
    ]);
    expect(p.base?.values[F.job]).toBe('CEO');
    // Out of the rule: no revive.
    const q = plan(
      input({
        link: link({ state: 'contact_deleted' }),
        person: person({ job_title: 'CEO' }),
        contact: contact({ deleted_at: '2025-01-01' }),
        inPipedriveRule: false,
      }),
    );
    expect(q.actions).toEqual([{ kind: 'nothing', reason: 'already_marked' }]);
  });

  it('out of both rules → link marked out_of_rule, nothing written or deleted', () => {
    const p = plan(
      input({
        link: link(),
        person: person({ job_title: 'CEO' }),
        contact: contact({ last_name: 'X' }),
        inPipedriveRule: false,
        inCcRule: false,
      }),
    );
    expect(p.actions).toEqual([
      { kind: 'mark_link', personId: 1, contactId: 'c-1', state: 'out_of_rule', at: NOW },
    ]);
  });

  it('back in the rule → link active again and the changes sync', () => {
    const p = plan(
      input({
        link: link({ state: 'out_of_rule' }),
        person: person({ job_title: 'CEO' }),
        contact: contact(),
      }),
    );
    expect(kinds(p.actions)).toEqual(['mark_link', 'update_contact']);
    expect(p.actions[0]).toMatchObject({ state: 'active' });
  });

  it('a link that never completed a sync reconciles by the initial rules', () => {
    const p = plan(
      input({
        link: link({ base: null }),
        person: person({ job_title: 'CEO' }),
        contact: contact({ job_title: null, last_name: null }),
      }),
    );
    // Empty CC last name does not clear Pipedrive's; Pipedrive fills CC.
    expect(p.actions).toEqual([
      expect.objectContaining({
        kind: 'update_contact',
        body: { last_name: 'Lee', job_title: 'CEO' },
      }),
    ]);
    expect(p.base?.email).toBe('ann@example.com');
  });
});

describe('one-way connections', () => {
  const toCc = { ...input().settings, direction: 'to_cc' as const };
  const toPd = { ...input().settings, direction: 'to_pipedrive' as const };

  it('Pipedrive → CC never writes Pipedrive, even for CC changes', () => {
    const p = plan(
      input({
        settings: toCc,
        link: link(),
        person: person(),
        contact: contact({ job_title: 'Boss' }),
      }),
    );
    expect(kinds(p.actions)).toEqual(['nothing']);
  });

  it('CC → Pipedrive never writes CC, even for Pipedrive changes', () => {
    const p = plan(
      input({
        settings: toPd,
        link: link(),
        person: person({ job_title: 'CEO' }),
        contact: contact(),
      }),
    );
    expect(kinds(p.actions)).toEqual(['nothing']);
    const q = plan(
      input({
        settings: toPd,
        link: link(),
        person: person(),
        contact: contact({ job_title: 'Boss' }),
      }),
    );
    expect(kinds(q.actions)).toEqual(['update_person']);
  });
});

describe('chooseByEmail', () => {
  it('the oldest person wins (earliest add_time, then lowest id); others are duplicates', () => {
    const e = (v: string) => [{ value: v, primary: true }];
    const choice = chooseByEmail([
      { id: 9, add_time: '2024-03-01T00:00:00Z', emails: e('a@x.io') },
      { id: 4, add_time: '2024-01-01T00:00:00Z', emails: e('A@x.io ') },
      { id: 3, add_time: '2024-01-01T00:00:00Z', emails: e('a@x.io') },
      { id: 2, add_time: null, emails: e('a@x.io') },
      { id: 5, add_time: '2023-01-01T00:00:00Z', emails: e('b@x.io') },
      { id: 6, emails: [] },
      { id: 7, emails: e('bad') },
    ]);
    expect([...choice.chosen]).toEqual([
      ['b@x.io', 5],
      ['a@x.io', 3],
    ]);
    expect(choice.duplicates).toEqual([
      { personId: 4, keptPersonId: 3, email: 'a@x.io' },
      { personId: 9, keptPersonId: 3, email: 'a@x.io' },
      { personId: 2, keptPersonId: 3, email: 'a@x.io' },
    ]);
    expect(choice.excluded).toEqual([
      { personId: 6, reason: 'EMAIL_MISSING' },
      { personId: 7, reason: 'EMAIL_INVALID' },
    ]);
  });

  it('matches on the primary email only', () => {
    const choice = chooseByEmail([
      {
        id: 1,
        add_time: '2024-01-01T00:00:00Z',
        emails: [{ value: 'a@x.io' }, { value: 'b@x.io', primary: true }],
      },
      { id: 2, add_time: '2024-02-01T00:00:00Z', emails: [{ value: 'a@x.io', primary: true }] },
    ]);
    expect([...choice.chosen]).toEqual([
      ['b@x.io', 1],
      ['a@x.io', 2],
    ]);
    expect(choice.duplicates).toEqual([]);
  });
});

describe('revive carries a changed email', () => {
  it('sends the person’s new email with the revive', () => {
    const p = plan(
      input({
        link: link({ state: 'contact_deleted' }),
        person: person({ emails: [{ value: 'new@example.com', primary: true }] }),
        contact: contact({ deleted_at: '2025-01-01' }),
      }),
    );
    expect(p.actions).toEqual([
      expect.objectContaining({ kind: 'mark_link', state: 'active' }),
      expect.objectContaining({
        kind: 'revive_contact',
        body: { email_address: { address: 'new@example.com' }, list_memberships: ['list-1'] },
      }),
    ]);
    expect(p.base?.email).toBe('new@example.com');
  });
});
