import { describe, expect, it } from 'vitest';
import {
  fieldInfoFromCcCustomField,
  fieldInfoFromPipedriveField,
  rowId,
  typesCompatible,
} from '../../../server/sync/core/fields.ts';
import {
  compileMapping,
  connectionSettings,
  defaultMapping,
  type MappingRow,
  validateMapping,
} from '../../../server/sync/settings.ts';
import { available, CF, KEY, pd, row, rows } from './fixtures.ts';

const base = {
  direction: 'two_way',
  pipedriveSource: { kind: 'all' },
  ccSource: { kind: 'all' },
  targetListIds: ['list-1'],
  newPersonOwnerId: 7,
  conflictWinner: 'pipedrive',
};

function issues(input: unknown): { path: string; message: string }[] {
  const r = connectionSettings.safeParse(input);
  return r.success
    ? []
    : r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
}

describe('connectionSettings', () => {
  it('accepts a complete two-way connection and fills engagement defaults', () => {
    const s = connectionSettings.parse(base);
    expect(s.engagement).toEqual({
      opens: true,
      clicks: true,
      optouts: true,
      bounces: true,
      recordAs: 'activities',
      historyDays: 90,
    });
    expect(s.mapping).toEqual([]);
  });

  it.each([
    ['two_way', true, true],
    ['to_cc', true, false],
    ['to_pipedrive', false, true],
  ] as const)(
    'direction %s: target list required %s, owner required %s',
    (direction, list, owner) => {
      const found = issues({ ...base, direction, targetListIds: [], newPersonOwnerId: undefined });
      expect(found.some((i) => i.path === 'targetListIds')).toBe(list);
      expect(found.some((i) => i.path === 'newPersonOwnerId')).toBe(owner);
    },
  );

  it('explains a missing target list and owner in admin words', () => {
    const found = issues({ ...base, targetListIds: [], newPersonOwnerId: undefined });
    expect(found.map((i) => i.message)).toEqual([
      'Choose at least one Constant Contact list for the contacts the app creates.',
      'Choose the Pipedrive user who will own the persons the app creates.',
    ]);
  });

  it('needs at least one filter or list when the source is chosen', () => {
    expect(
      issues({ ...base, pipedriveSource: { kind: 'filters', filterIds: [] } })[0]?.message,
    ).toBe('Choose at least one filter.');
    expect(issues({ ...base, ccSource: { kind: 'lists', listIds: [] } })[0]?.message).toBe(
      'Choose at least one list.',
    );
    expect(issues({ ...base, pipedriveSource: { kind: 'filters', filterIds: [3] } })).toEqual([]);
  });

  it('refuses unknown directions, winners, CC field kinds and record modes', () => {
    expect(issues({ ...base, direction: 'sideways' })).not.toEqual([]);
    expect(issues({ ...base, conflictWinner: 'newest' })).not.toEqual([]);
    expect(
      issues({
        ...base,
        mapping: [
          { pipedrive: pd('x'), cc: { kind: 'standard', field: 'email' }, direction: 'both' },
        ],
      }),
    ).not.toEqual([]);
    expect(issues({ ...base, engagement: { recordAs: 'emails' } })).not.toEqual([]);
    expect(issues({ ...base, engagement: { historyDays: -1 } })).not.toEqual([]);
  });
});

function problems(list: MappingRow[], direction: 'two_way' | 'to_cc' | 'to_pipedrive' = 'two_way') {
  return validateMapping(list, available, direction);
}

describe('validateMapping', () => {
  it('accepts the fixture rows', () => {
    expect(problems(Object.values(rows).filter((r) => r !== rows.org))).toEqual([]);
    expect(problems([rows.org])).toEqual([]);
  });

  it('refuses an email row: email is implicit', () => {
    const [p] = problems([row(pd('email'), { kind: 'standard', field: 'first_name' })]);
    expect(p).toMatchObject({ row: 0, code: 'EMAIL_ROW' });
    expect(p?.message).toMatch(/Email is always synced/);
  });

  it('flags fields that no longer exist on either side', () => {
    const [pdGone] = problems([row(pd('9'.repeat(40)), { kind: 'standard', field: 'first_name' })]);
    expect(pdGone).toMatchObject({ code: 'FIELD_MISSING' });
    expect(pdGone?.message).toContain(`Pipedrive field person:${'9'.repeat(40)}`);
    const [ccGone] = problems([row(pd('first_name'), { kind: 'custom', customFieldId: 'gone' })]);
    expect(ccGone?.message).toContain('Constant Contact field custom:gone, which no longer exists');
  });

  it('refuses unsupported types with the provider type named', () => {
    const [p] = problems([row(pd(KEY.owner), { kind: 'custom', customFieldId: CF.text }, 'to_cc')]);
    expect(p).toMatchObject({ code: 'FIELD_UNSUPPORTED' });
    expect(p?.message).toContain('“Account manager” has type user');
    const [q] = problems([row(pd(KEY.note), { kind: 'custom', customFieldId: CF.select })]);
    expect(q?.message).toContain('type single_select');
  });

  it('refuses a read-only field mapped towards its own side, accepts it mapped away', () => {
    const orgBoth = row(pd('name', 'organization'), { kind: 'standard', field: 'company_name' });
    expect(problems([orgBoth])).toEqual([
      expect.objectContaining({
        code: 'READ_ONLY',
        message: expect.stringContaining('“Organization: Name” is read-only'),
      }),
    ]);
    const created = row(pd(KEY.since), { kind: 'standard', field: 'created_at' });
    expect(problems([created])[0]).toMatchObject({ code: 'READ_ONLY' });
    expect(problems([{ ...created, direction: 'to_pipedrive' }])).toEqual([]);
    expect(
      problems([row(pd('add_time'), { kind: 'custom', customFieldId: CF.date }, 'to_cc')]),
    ).toEqual([]);
    expect(problems([row(pd('name'), { kind: 'custom', customFieldId: CF.text })])[0]?.code).toBe(
      'READ_ONLY',
    );
  });

  it('refuses incompatible types in the direction that would write them', () => {
    const dateToText = row(pd(KEY.since), { kind: 'custom', customFieldId: CF.text });
    const [p] = problems([dateToText]);
    expect(p).toMatchObject({ code: 'TYPE_MISMATCH' });
    expect(p?.message).toContain(
      'A text value from Constant Contact field “Tagline” cannot be written to Pipedrive field “Customer since” (date)',
    );
    expect(problems([{ ...dateToText, direction: 'to_cc' }])).toEqual([]);
    expect(problems([row(pd('phone'), { kind: 'birthday' })])[0]?.code).toBe('TYPE_MISMATCH');
    expect(
      problems([row(pd('postal_address'), { kind: 'standard', field: 'job_title' })])[0]?.code,
    ).toBe('TYPE_MISMATCH');
  });

  it('refuses a row whose direction the connection never uses', () => {
    const [p] = problems([{ ...rows.first, direction: 'to_pipedrive' }], 'to_cc');
    expect(p).toMatchObject({ code: 'DIRECTION_UNUSED' });
    expect(problems([rows.org], 'to_pipedrive')[0]?.code).toBe('DIRECTION_UNUSED');
  });

  it('narrows by the connection direction before checking read-only', () => {
    const orgBoth = row(pd('name', 'organization'), { kind: 'standard', field: 'company_name' });
    expect(problems([orgBoth], 'to_cc')).toEqual([]);
  });

  it('refuses two rows writing the same destination field, naming the first row', () => {
    const list = [
      rows.first,
      row(pd('last_name'), { kind: 'standard', field: 'first_name' }, 'to_cc'),
    ];
    const [p] = problems(list);
    expect(p).toMatchObject({ row: 1, code: 'DUPLICATE_DESTINATION' });
    expect(p?.message).toBe(
      'Constant Contact field “First name” is already written by row 1. A field can be written by one row only.',
    );
    // The same source read by two rows is fine.
    expect(
      problems([
        rows.first,
        row(pd('first_name'), { kind: 'custom', customFieldId: CF.text }, 'to_cc'),
      ]),
    ).toEqual([]);
  });
});

describe('defaultMapping', () => {
  it('offers names, job title, organization name and phone', () => {
    expect(defaultMapping(available)).toEqual([
      rows.first,
      rows.last,
      rows.job,
      rows.org,
      rows.phone,
    ]);
  });

  it('leaves out fields the company does not have and rows the direction cannot use', () => {
    const noJob = {
      ...available,
      pipedrive: available.pipedrive.filter((f) => f.key !== 'person:job_title'),
    };
    expect(defaultMapping(noJob)).not.toContainEqual(rows.job);
    expect(defaultMapping(available, 'to_pipedrive')).not.toContainEqual(rows.org);
    expect(
      validateMapping(defaultMapping(available, 'to_pipedrive'), available, 'to_pipedrive'),
    ).toEqual([]);
  });
});

describe('field info from the APIs', () => {
  it('skips person email and marks organization fields and computed fields read-only', () => {
    expect(
      fieldInfoFromPipedriveField({ key: 'email', name: 'Email', field_type: 'varchar' }, 'person'),
    ).toBeNull();
    expect(
      fieldInfoFromPipedriveField(
        { key: 'email', name: 'Email', field_type: 'varchar' },
        'organization',
      ),
    ).not.toBeNull();
    expect(
      fieldInfoFromPipedriveField(
        { key: 'add_time', name: 'Created', field_type: 'date', edit_flag: false },
        'person',
      ),
    ).toMatchObject({ key: 'person:add_time', type: 'date', readOnly: true });
    expect(
      fieldInfoFromPipedriveField(
        { key: KEY.note, name: 'x', field_type: 'text', edit_flag: true },
        'organization',
      ),
    ).toMatchObject({ readOnly: true, label: 'Organization: x' });
  });

  it('offers system fields the core cannot read as unsupported', () => {
    const label = fieldInfoFromPipedriveField(
      { key: 'label', name: 'Label', field_type: 'enum', edit_flag: false, options: [] },
      'person',
    );
    expect(label).toMatchObject({ type: 'unsupported', sourceType: 'enum', readOnly: true });
    expect(
      fieldInfoFromPipedriveField(
        { key: 'address', name: 'Address', field_type: 'address', edit_flag: false },
        'organization',
      ),
    ).toMatchObject({ type: 'unsupported' });
    expect(
      fieldInfoFromPipedriveField(
        { key: 'update_time', name: 'Updated', field_type: 'date', edit_flag: false },
        'person',
      ),
    ).toMatchObject({ type: 'date', readOnly: true });
  });

  it('turns option ids from v1 strings into numbers', () => {
    const info = fieldInfoFromPipedriveField(
      {
        key: KEY.industry,
        name: 'Industry',
        field_type: 'enum',
        edit_flag: true,
        options: [{ id: '5', label: 'A' }],
      },
      'person',
    );
    expect(info?.options).toEqual([{ id: 5, label: 'A' }]);
  });

  it.each([
    ['string', 'text'],
    ['text_area', 'text'],
    ['date', 'date'],
    ['number', 'number'],
    ['currency', 'number'],
    ['single_select', 'unsupported'],
    ['boolean', 'unsupported'],
  ])('CC custom type %s → %s', (type, expected) => {
    expect(fieldInfoFromCcCustomField({ custom_field_id: 'x', label: 'X', type })).toMatchObject({
      key: 'custom:x',
      type: expected,
      maxLength: 255,
    });
  });

  it('type compatibility is directional', () => {
    expect(typesCompatible('date', 'text')).toBe(true);
    expect(typesCompatible('text', 'date')).toBe(false);
    expect(typesCompatible('text', 'option')).toBe(true);
    expect(typesCompatible('options', 'text')).toBe(true);
    expect(typesCompatible('date', 'birthday')).toBe(true);
    expect(typesCompatible('address', 'text')).toBe(false);
  });
});

describe('compileMapping', () => {
  it('keeps valid rows only, narrows their direction and picks the comparison kind', () => {
    const bad = row(pd(KEY.since), { kind: 'standard', field: 'job_title' });
    const fields = compileMapping(
      [rows.first, bad, rows.phone, rows.industry, rows.birthday],
      available,
      'to_cc',
    );
    expect(fields.map((f) => [f.id, f.direction, f.kind])).toEqual([
      [rowId(rows.first), 'to_cc', 'name'],
      [rowId(bad), 'to_cc', 'date'],
      [rowId(rows.phone), 'to_cc', 'phone'],
      [rowId(rows.industry), 'to_cc', 'option'],
      [rowId(rows.birthday), 'to_cc', 'birthday'],
    ]);
    expect(compileMapping([bad], available, 'two_way')).toEqual([]);
    expect(rowId(rows.first)).toBe('person:first_name|first_name');
  });
});
