import { describe, expect, it } from 'vitest';
import { chooseByEmail } from '../../../server/sync/core/duplicates.ts';
import { plan } from '../../../server/sync/core/plan.ts';
import { CF, contact, KEY, person } from './fixtures.ts';
import { F, input, kinds, NOW, unsubscribed } from './plan-fixtures.ts';

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
