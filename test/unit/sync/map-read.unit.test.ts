import { describe, expect, it } from 'vitest';
import { rowId } from '../../../server/sync/core/fields.ts';
import {
  contactDeleted,
  contactMatchesBase,
  contactUnsubscribed,
  readContact,
  readPerson,
} from '../../../server/sync/core/map.ts';
import { personWrite } from '../../../server/sync/core/map-write.ts';
import { CF, compile, contact, KEY, pd, person, row, rows } from './fixtures.ts';

const all = compile([
  rows.first,
  rows.last,
  rows.job,
  rows.org,
  rows.phone,
  rows.birthday,
  rows.industry,
  rows.interests,
  rows.since,
  rows.address,
  rows.score,
]);
const id = (r: (typeof rows)[keyof typeof rows]) => rowId(r);

describe('readPerson (Pipedrive → record)', () => {
  const p = person({
    first_name: '  Mary  Ann ',
    last_name: 'Lee',
    job_title: '',
    phones: [
      { value: '111', primary: false },
      { value: ' +1  555 0100 ', primary: true },
    ],
    birthday: '1980-11-24',
    postal_address: {
      value: '1 Main St, Oslo',
      street_number: '1',
      route: 'Main St',
      locality: 'Oslo',
      postal_code: '0150',
      country: 'Norway',
    },
    organization: { name: ' Acme AS ' },
    custom_fields: {
      [KEY.industry]: 2,
      [KEY.tags]: [12, 10],
      [KEY.since]: '2020-01-02',
      [KEY.score]: 7,
    },
  });
  const r = readPerson(p, all);

  it('normalises each kind', () => {
    expect(r.email).toEqual({ ok: true, email: 'ann@example.com' });
    expect(r.values).toEqual({
      [id(rows.first)]: 'Mary Ann',
      [id(rows.last)]: 'Lee',
      [id(rows.job)]: null,
      [id(rows.org)]: 'Acme AS',
      [id(rows.phone)]: '+1 555 0100',
      [id(rows.birthday)]: '11-24',
      [id(rows.industry)]: 'Retail',
      [id(rows.interests)]: 'Chess, Golf',
      [id(rows.since)]: '2020-01-02',
      [id(rows.address)]: JSON.stringify({
        street: '1 Main St',
        city: 'Oslo',
        state: null,
        postal_code: '0150',
        country: 'Norway',
      }),
      [id(rows.score)]: '7',
    });
    expect(r.issues).toEqual([]);
  });

  it('treats missing and null custom fields alike (reference 4.3)', () => {
    const a = readPerson(person({ custom_fields: {} }), all).values;
    const b = readPerson(person({ custom_fields: { [KEY.industry]: null } }), all).values;
    expect(a).toEqual(b);
    expect(a[id(rows.industry)]).toBeNull();
  });

  it('uses the formatted value when an address has no parts', () => {
    const v = readPerson(person({ postal_address: { value: 'Somewhere 5' } }), all).values;
    expect(JSON.parse(v[id(rows.address)] ?? 'null')).toMatchObject({ street: 'Somewhere 5' });
  });

  it('reports a deleted option id', () => {
    const x = readPerson(person({ custom_fields: { [KEY.industry]: 99 } }), all);
    expect(x.values[id(rows.industry)]).toBeNull();
    expect(x.issues).toEqual([
      expect.objectContaining({ code: 'OPTION_ID_UNKNOWN', fieldId: id(rows.industry) }),
    ]);
  });

  it('cuts values bound for CC to its length limit and says so', () => {
    const x = readPerson(person({ job_title: 'x'.repeat(60) }), all);
    expect(x.values[id(rows.job)]).toBe('x'.repeat(50));
    expect(x.issues).toEqual([
      expect.objectContaining({ code: 'FIELD_TRUNCATED', fieldId: id(rows.job) }),
    ]);
  });

  it('does not cut values of rows that only flow to Pipedrive', () => {
    const [f] = compile([{ ...rows.job, direction: 'to_pipedrive' }]);
    const x = readPerson(person({ job_title: 'x'.repeat(60) }), f ? [f] : []);
    expect(x.values[rowId(rows.job)]).toHaveLength(60);
  });

  it('reads system timestamps as dates (mapped away from Pipedrive)', () => {
    const r = row(pd('add_time'), { kind: 'custom', customFieldId: CF.date }, 'to_cc');
    const x = readPerson(person({ add_time: '2023-04-05T10:00:00Z' }), compile([r]));
    expect(x.values[rowId(r)]).toBe('2023-04-05');
  });

  it('reads organization custom fields from the resolved organization', () => {
    const [f] = compile([
      row(pd(KEY.orgRegion, 'organization'), { kind: 'custom', customFieldId: CF.text }, 'to_cc'),
    ]);
    const x = readPerson(
      person({ organization: { name: 'A', custom_fields: { [KEY.orgRegion]: 'North' } } }),
      f ? [f] : [],
    );
    expect(Object.values(x.values)).toEqual(['North']);
  });
});

describe('readContact (CC → record)', () => {
  const c = contact({
    first_name: 'Mary  Ann',
    job_title: ' Boss ',
    company_name: 'Acme',
    birthday_month: 11,
    birthday_day: 24,
    phone_numbers: [
      { phone_number: '999', kind: 'home' },
      { phone_number: '+1 555 0100', kind: 'work' },
    ],
    street_addresses: [{ kind: 'home', street: '1 Main St', city: 'Oslo', country: 'Norway' }],
    custom_fields: [
      { custom_field_id: CF.text, value: 'retail' },
      { custom_field_id: CF.interests, value: 'Golf, Chess' },
      { custom_field_id: CF.date, value: '01/02/2020' },
      { custom_field_id: CF.number, value: '7.0' },
    ],
  });
  const r = readContact(c, all);

  it('normalises each kind', () => {
    expect(r.email).toEqual({ ok: true, email: 'ann@example.com' });
    expect(r.values).toMatchObject({
      [id(rows.first)]: 'Mary Ann',
      [id(rows.job)]: 'Boss',
      [id(rows.org)]: 'Acme',
      [id(rows.phone)]: '+1 555 0100',
      [id(rows.birthday)]: '11-24',
      [id(rows.industry)]: 'retail',
      [id(rows.interests)]: 'Golf, Chess',
      [id(rows.since)]: '2020-01-02',
      [id(rows.score)]: '7',
    });
    expect(JSON.parse(r.values[id(rows.address)] ?? 'null')).toMatchObject({
      street: '1 Main St',
      city: 'Oslo',
    });
  });

  it('a contact without an email is legal and reads as EMAIL_MISSING', () => {
    expect(readContact(contact({ email_address: null }), all).email).toEqual({
      ok: false,
      reason: 'EMAIL_MISSING',
    });
  });

  it('knows deleted and unsubscribed contacts', () => {
    expect(contactDeleted(contact({ deleted_at: '2025-01-01' }))).toBe(true);
    expect(contactDeleted(contact())).toBe(false);
    expect(
      contactUnsubscribed(
        contact({ email_address: { address: 'a@b.co', permission_to_send: 'unsubscribed' } }),
      ),
    ).toBe(true);
  });
});

describe('less common rows', () => {
  it('a birthday on a custom Pipedrive date keeps that field’s year', () => {
    const f = compile([row(pd(KEY.since), { kind: 'birthday' })]);
    const w = personWrite(
      { [rowId(row(pd(KEY.since), { kind: 'birthday' }))]: '12-01' },
      f,
      person({ custom_fields: { [KEY.since]: '2001-05-05' } }),
    );
    expect(w.body).toEqual({ custom_fields: { [KEY.since]: '2001-12-01' } });
    // And the CC side reads month/day only, the year is dropped going to CC.
    expect(
      Object.values(readPerson(person({ custom_fields: { [KEY.since]: '2001-05-05' } }), f).values),
    ).toEqual(['05-05']);
  });

  it('address parts are cut to CC’s limits when they flow to CC', () => {
    const x = readPerson(
      person({ postal_address: { route: 'r'.repeat(300), locality: 'c'.repeat(60) } }),
      all,
    );
    const parts = JSON.parse(x.values[id(rows.address)] ?? 'null');
    expect(parts.street).toHaveLength(255);
    expect(parts.city).toHaveLength(50);
    expect(x.issues).toEqual([
      expect.objectContaining({ code: 'FIELD_TRUNCATED', fieldId: id(rows.address) }),
    ]);
  });

  it('a CC date text that is not a date reads as empty', () => {
    const v = readContact(
      contact({ custom_fields: [{ custom_field_id: CF.date, value: 'soon' }] }),
      all,
    ).values;
    expect(v[id(rows.since)]).toBeNull();
  });
});

describe('contactMatchesBase (may the poll skip reading the person?)', () => {
  const fields = compile([rows.first, rows.job, rows.org]);
  const base = {
    email: 'ann@example.com',
    values: { [id(rows.first)]: 'Ann', [id(rows.job)]: 'CTO', [id(rows.org)]: 'Acme' },
  };
  const same = contact({ first_name: 'Ann', job_title: 'CTO', company_name: 'Acme' });

  it('is true when email and every value that flows to Pipedrive equal the base', () => {
    expect(contactMatchesBase(same, base, fields)).toBe(true);
    // company_name is mapped to_cc only: a CC edit there has nothing to carry to Pipedrive.
    expect(contactMatchesBase({ ...same, company_name: 'Other' }, base, fields)).toBe(true);
  });

  it('is false for a changed two-way value, a changed email, or a deleted contact', () => {
    expect(contactMatchesBase({ ...same, job_title: 'CEO' }, base, fields)).toBe(false);
    expect(
      contactMatchesBase(
        { ...same, email_address: { address: 'new@example.com', permission_to_send: 'implicit' } },
        base,
        fields,
      ),
    ).toBe(false);
    expect(contactMatchesBase({ ...same, deleted_at: '2026-01-01T00:00:00Z' }, base, fields)).toBe(
      false,
    );
  });

  it('compares as the merge does (normalised values)', () => {
    expect(contactMatchesBase({ ...same, first_name: '  Ann ' }, base, fields)).toBe(true);
  });
});
