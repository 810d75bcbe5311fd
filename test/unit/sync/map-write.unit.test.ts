import { describe, expect, it } from 'vitest';
import { rowId } from '../../../server/sync/core/fields.ts';
import { readContact, readPerson } from '../../../server/sync/core/map.ts';
import { contactWrite, personWrite } from '../../../server/sync/core/map-write.ts';
import { CF, compile, contact, KEY, person, rows } from './fixtures.ts';

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
