import { describe, expect, it } from 'vitest';
import { plan } from '../../../server/sync/core/plan.ts';
import { TAKEN_EMAIL_KEY } from '../../../server/sync/core/plan-util.ts';
import { contact, person } from './fixtures.ts';
import { F, input, kinds, link, NOW } from './plan-fixtures.ts';

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

  it('a value cleared in Pipedrive while the contact was deleted is cleared by the revive', () => {
    const base = link().base!;
    const p = plan(
      input({
        link: link({
          state: 'contact_deleted',
          base: { ...base, values: { ...base.values, [F.job]: 'CEO' } },
        }),
        person: person({ job_title: null }),
        contact: contact({ deleted_at: '2025-01-01', job_title: 'CEO' }),
      }),
    );
    expect(p.actions[1]).toMatchObject({ kind: 'revive_contact', body: { job_title: null } });
    expect(p.base?.values[F.job]).toBeNull();
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

  it('a new email another contact holds → EMAIL_COLLISION, no revive, link marked, base kept', () => {
    const p = plan(
      input({
        link: link(),
        person: person({ emails: [{ value: 'taken@example.com', primary: true }] }),
        contact: contact({ deleted_at: '2025-01-01' }),
        emailTaken: true,
      }),
    );
    expect(p.actions).toEqual([
      { kind: 'mark_link', personId: 1, contactId: 'c-1', state: 'contact_deleted', at: NOW },
      {
        kind: 'record_error',
        code: 'EMAIL_COLLISION',
        personId: 1,
        contactId: 'c-1',
        detail: 'The new email taken@example.com belongs to another synced contact.',
        email: 'taken@example.com',
      },
    ]);
    expect(p.base).toEqual(link().base);
    // The scan looks nothing up: the address the link notes as taken answers the same.
    const noted = link({ state: 'contact_deleted' });
    noted.base!.values[TAKEN_EMAIL_KEY] = 'taken@example.com';
    const again = plan(
      input({
        link: noted,
        person: person({ emails: [{ value: 'taken@example.com', primary: true }] }),
        contact: contact({ deleted_at: '2025-01-01' }),
      }),
    );
    expect(kinds(again.actions)).toEqual(['record_error']);
  });
});
