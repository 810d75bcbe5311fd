import { describe, expect, it } from 'vitest';
import { rowId } from '../../../server/sync/core/fields.ts';
import {
  contactDeleted,
  contactUnsubscribed,
  readContact,
  readPerson,
} from '../../../server/sync/core/map.ts';
import { contactWrite, personWrite } from '../../../server/sync/core/map-write.ts';
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

describe('personWrite (record → Pipedrive body)', () => {
  it('writes names together, as the v2 API needs', () => {
    const w = personWrite(
      { [id(rows.first)]: 'Mia' },
      all,
      person({ first_name: 'Ann', last_name: 'Lee' }),
    );
    expect(w.body).toEqual({ first_name: 'Mia', last_name: 'Lee' });
    expect(w.written).toEqual([id(rows.first)]);
  });

  it('refuses to clear both names of an existing person', () => {
    const w = personWrite({ [id(rows.first)]: null, [id(rows.last)]: null }, all, person());
    expect(w.body).toEqual({});
    expect(w.issues.map((i) => i.code)).toEqual(['NAME_REQUIRED', 'NAME_REQUIRED']);
  });

  it('replaces the primary phone, keeps the others, adds or removes it', () => {
    const p = person({
      phones: [
        { value: '1', primary: false, label: 'home' },
        { value: '2', primary: true, label: 'work' },
      ],
    });
    expect(personWrite({ [id(rows.phone)]: '3' }, all, p).body.phones).toEqual([
      { value: '1', primary: false, label: 'home' },
      { value: '3', primary: true, label: 'work' },
    ]);
    expect(personWrite({ [id(rows.phone)]: null }, all, p).body.phones).toEqual([
      { value: '1', primary: false, label: 'home' },
    ]);
    expect(personWrite({ [id(rows.phone)]: '3' }, all, person({ phones: [] })).body.phones).toEqual(
      [{ value: '3', primary: true, label: 'work' }],
    );
  });

  it('maps option labels to existing ids (enum: number, set: array, empty set: null)', () => {
    const w = personWrite(
      { [id(rows.industry)]: 'MINING', [id(rows.interests)]: 'chess, golf' },
      all,
      person(),
    );
    expect(w.body.custom_fields).toEqual({ [KEY.industry]: 1, [KEY.tags]: [12, 10] });
    expect(personWrite({ [id(rows.interests)]: null }, all, person()).body.custom_fields).toEqual({
      [KEY.tags]: null,
    });
  });

  it('a missing option label is an OPTION_LABEL_MISSING issue; the other fields still go', () => {
    const w = personWrite(
      { [id(rows.industry)]: 'Farming', [id(rows.job)]: 'Boss' },
      all,
      person(),
    );
    expect(w.body).toEqual({ job_title: 'Boss' });
    expect(w.written).toEqual([id(rows.job)]);
    expect(w.issues).toEqual([
      {
        code: 'OPTION_LABEL_MISSING',
        fieldId: id(rows.industry),
        detail: 'Industry: “Farming” is not an option',
      },
    ]);
  });

  it('birthday keeps the person’s year, or is skipped without one', () => {
    expect(
      personWrite({ [id(rows.birthday)]: '02-03' }, all, person({ birthday: '1990-07-07' })).body,
    ).toEqual({
      birthday: '1990-02-03',
    });
    const w = personWrite({ [id(rows.birthday)]: '02-03' }, all, person());
    expect(w.body).toEqual({});
    expect(w.issues[0]?.code).toBe('BIRTHDAY_YEAR_UNKNOWN');
  });

  it('dates, numbers and addresses take the v2 shapes', () => {
    const address = JSON.stringify({
      street: '1 Main St',
      city: 'Oslo',
      state: null,
      postal_code: '0150',
      country: 'Norway',
    });
    const w = personWrite(
      { [id(rows.since)]: '2020-01-02', [id(rows.score)]: '7.5', [id(rows.address)]: address },
      all,
      person(),
    );
    expect(w.body).toEqual({
      custom_fields: { [KEY.since]: '2020-01-02', [KEY.score]: 7.5 },
      postal_address: {
        value: '1 Main St, Oslo, 0150, Norway',
        route: '1 Main St',
        locality: 'Oslo',
        admin_area_level_1: null,
        postal_code: '0150',
        country: 'Norway',
      },
    });
    // Round trip: reading the written address gives the same value back.
    const back = readPerson(person({ postal_address: w.body.postal_address }), all).values[
      id(rows.address)
    ];
    expect(back).toBe(address);
  });

  it('an email change replaces the primary email and keeps the others', () => {
    const p = person({
      emails: [
        { value: 'old@x.io', primary: true, label: 'work' },
        { value: 'home@x.io', primary: false, label: 'home' },
      ],
    });
    expect(personWrite({}, all, p, 'new@x.io').body.emails).toEqual([
      { value: 'new@x.io', primary: true, label: 'work' },
      { value: 'home@x.io', primary: false, label: 'home' },
    ]);
  });
});

describe('contactWrite (record → CC body)', () => {
  it('writes standard fields, birthday pairs and custom fields, never the permission', () => {
    const c = contact({ custom_fields: [{ custom_field_id: 'other', value: 'keep' }] });
    const w = contactWrite(
      {
        [id(rows.job)]: 'Boss',
        [id(rows.birthday)]: '11-04',
        [id(rows.industry)]: 'Retail',
        [id(rows.org)]: null,
      },
      all,
      c,
      'new@x.io',
    );
    expect(w.body).toEqual({
      job_title: 'Boss',
      company_name: null,
      birthday_month: 11,
      birthday_day: 4,
      custom_fields: [
        { custom_field_id: 'other', value: 'keep' },
        { custom_field_id: CF.text, value: 'Retail' },
      ],
      email_address: { address: 'new@x.io' },
    });
    expect(JSON.stringify(w.body)).not.toContain('permission_to_send');
  });

  it('sends complete phone arrays: replace the kind, add it, or remove it', () => {
    const c = contact({
      phone_numbers: [
        { phone_number: '1', kind: 'home' },
        { phone_number: '2', kind: 'work' },
      ],
    });
    expect(contactWrite({ [id(rows.phone)]: '3' }, all, c).body.phone_numbers).toEqual([
      { phone_number: '1', kind: 'home' },
      { phone_number: '3', kind: 'work' },
    ]);
    expect(contactWrite({ [id(rows.phone)]: null }, all, c).body.phone_numbers).toEqual([
      { phone_number: '1', kind: 'home' },
    ]);
    expect(contactWrite({ [id(rows.phone)]: '3' }, all, null).body.phone_numbers).toEqual([
      { phone_number: '3', kind: 'work' },
    ]);
  });

  it('skips a value when the contact is at a CC item limit', () => {
    const c = contact({
      phone_numbers: [
        { phone_number: '1', kind: 'home' },
        { phone_number: '2', kind: 'mobile' },
        { phone_number: '3', kind: 'other' },
      ],
    });
    const w = contactWrite({ [id(rows.phone)]: '4' }, all, c);
    expect(w.written).toEqual([]);
    expect(w.issues).toEqual([
      expect.objectContaining({ code: 'CC_ITEM_LIMIT', fieldId: id(rows.phone) }),
    ]);
  });

  it('writes addresses by kind and clears a custom value by removing it', () => {
    const address = JSON.stringify({
      street: 'S',
      city: 'C',
      state: null,
      postal_code: null,
      country: null,
    });
    const c = contact({ custom_fields: [{ custom_field_id: CF.text, value: 'x' }] });
    const w = contactWrite({ [id(rows.address)]: address, [id(rows.industry)]: null }, all, c);
    expect(w.body.street_addresses).toEqual([
      { kind: 'home', street: 'S', city: 'C', state: null, postal_code: null, country: null },
    ]);
    expect(w.body.custom_fields).toEqual([]);
  });

  it('round-trips every kind: what is written reads back as the same value', () => {
    const values = {
      [id(rows.first)]: 'Mia',
      [id(rows.phone)]: '+1 555',
      [id(rows.birthday)]: '02-29',
      [id(rows.industry)]: 'Retail',
      [id(rows.since)]: '2020-01-02',
      [id(rows.score)]: '7.5',
    };
    const body = contactWrite(values, all, null).body;
    const back = readContact({ contact_id: 'x', ...body }, all).values;
    for (const [k, v] of Object.entries(values)) expect(back[k]).toBe(v);
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
