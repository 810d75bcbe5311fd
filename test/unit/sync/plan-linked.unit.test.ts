import { describe, expect, it } from 'vitest';
import { plan } from '../../../server/sync/core/plan.ts';
import { TAKEN_EMAIL_KEY } from '../../../server/sync/core/plan-util.ts';
import { CF, contact, KEY, person } from './fixtures.ts';
import { F, input, kinds, link, unsubscribed } from './plan-fixtures.ts';

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
        email: 'bob@example.com',
      },
    ]);
    expect(p.base).toEqual(link().base);
  });

  it('the scan, which looks nothing up: an address the base notes as taken is a collision', () => {
    const noted = link();
    noted.base!.values[TAKEN_EMAIL_KEY] = 'bob@example.com';
    const bob = person({ emails: [{ value: 'bob@example.com', primary: true }] });
    const p = plan(input({ link: noted, person: bob, contact: contact() }));
    expect(p.actions).toEqual([
      expect.objectContaining({ kind: 'record_error', code: 'EMAIL_COLLISION' }),
    ]);
    // Another address, or a lookup that found it free, goes through (and drops the note).
    const cy = person({ emails: [{ value: 'cy@example.com', primary: true }] });
    const moved = plan(input({ link: noted, person: cy, contact: contact() }));
    expect(kinds(moved.actions)).toEqual(['update_contact']);
    expect(moved.base?.values).not.toHaveProperty(TAKEN_EMAIL_KEY);
    const free = plan(input({ link: noted, person: bob, contact: contact(), emailTaken: false }));
    expect(kinds(free.actions)).toEqual(['update_contact']);
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
