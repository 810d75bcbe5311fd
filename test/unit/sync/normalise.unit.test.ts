import { describe, expect, it } from 'vitest';
import {
  addressParts,
  addressValue,
  birthdayFromDate,
  birthdayFromParts,
  birthdayOntoDate,
  birthdayToParts,
  normaliseDate,
  normaliseEmail,
  normaliseName,
  normaliseNumber,
  normalisePhone,
  normaliseText,
  optionIdsFromText,
  optionLabels,
  personEmail,
  phoneDigits,
  primaryIndex,
  sameValue,
  truncate,
} from '../../../server/sync/core/normalise.ts';

describe('emails', () => {
  it.each([
    ['  Ann@Example.COM ', { ok: true, email: 'ann@example.com' }],
    ['', { ok: false, reason: 'EMAIL_MISSING' }],
    [null, { ok: false, reason: 'EMAIL_MISSING' }],
    ['   ', { ok: false, reason: 'EMAIL_MISSING' }],
    ['ann', { ok: false, reason: 'EMAIL_INVALID', raw: 'ann' }],
    ['ann@example', { ok: false, reason: 'EMAIL_INVALID', raw: 'ann@example' }],
    ['a b@example.com', { ok: false, reason: 'EMAIL_INVALID', raw: 'a b@example.com' }],
    ['a@@example.com', { ok: false, reason: 'EMAIL_INVALID', raw: 'a@@example.com' }],
  ])('normaliseEmail(%j)', (raw, expected) => {
    expect(normaliseEmail(raw)).toEqual(expected);
  });

  it('refuses addresses longer than CC accepts (80)', () => {
    const long = `${'a'.repeat(70)}@example.com`;
    expect(normaliseEmail(long)).toMatchObject({ ok: false, reason: 'EMAIL_INVALID' });
    expect(normaliseEmail(`${'a'.repeat(60)}@example.com`).ok).toBe(true);
  });

  it('takes the FIRST primary email, else the first; others are ignored', () => {
    const e = (value: string, primary = false) => ({ value, primary });
    expect(personEmail([e('a@x.io'), e('b@x.io', true), e('c@x.io', true)])).toEqual({
      ok: true,
      email: 'b@x.io',
    });
    expect(personEmail([e('A@x.io'), e('b@x.io')])).toEqual({ ok: true, email: 'a@x.io' });
    expect(personEmail([])).toEqual({ ok: false, reason: 'EMAIL_MISSING' });
    expect(personEmail(undefined)).toEqual({ ok: false, reason: 'EMAIL_MISSING' });
    expect(primaryIndex([e('a'), e('b', true)])).toBe(1);
  });

  it('does not fall back to a valid secondary when the primary is invalid', () => {
    expect(personEmail([{ value: 'nope', primary: true }, { value: 'ok@x.io' }])).toMatchObject({
      ok: false,
      reason: 'EMAIL_INVALID',
    });
  });
});

describe('text, names, phones, numbers', () => {
  it.each([
    [' Ann ', 'Ann'],
    ['', null],
    ['  ', null],
    [null, null],
    [undefined, null],
    [42, '42'],
    [{}, null],
  ])('normaliseText(%j) = %j', (raw, expected) => {
    expect(normaliseText(raw)).toBe(expected);
  });

  it('names collapse inner whitespace', () => {
    expect(normaliseName('  Mary \t Ann  ')).toBe('Mary Ann');
    expect(normaliseText('Mary  Ann')).toBe('Mary  Ann');
  });

  it('phones trim and collapse spaces but keep punctuation; compare on digits', () => {
    expect(normalisePhone('  +1  (555)  010-2000 ')).toBe('+1 (555) 010-2000');
    expect(phoneDigits('+1 (555) 010-2000')).toBe('15550102000');
    expect(sameValue('phone', '+1 (555) 010-2000', '15550102000')).toBe(true);
    expect(sameValue('phone', '555 0102', '555 0103')).toBe(false);
  });

  it('numbers compare in canonical form', () => {
    expect(normaliseNumber(12.5)).toBe('12.5');
    expect(normaliseNumber(' 12.50 ')).toBe('12.5');
    expect(normaliseNumber('n/a')).toBe('n/a');
    expect(normaliseNumber(Number.NaN)).toBeNull();
  });
});

describe('dates', () => {
  it.each([
    ['2024-03-05', '2024-03-05'],
    ['2024-3-5', '2024-03-05'],
    ['2024/03/05', '2024-03-05'],
    ['03/05/2024', '2024-03-05'],
    ['3/5/2024', '2024-03-05'],
    ['3-05-2024', '2024-03-05'],
    ['2024-03-05T23:30:00-05:00', '2024-03-05'],
    ['2024-02-30', null],
    ['2023-02-29', null],
    ['2024-02-29', '2024-02-29'],
    ['next week', null],
    ['', null],
  ])('normaliseDate(%j) = %j', (raw, expected) => {
    expect(normaliseDate(raw)).toBe(expected);
  });
});

describe('birthdays: month and day only', () => {
  it('Pipedrive date → MM-DD, the year is dropped', () => {
    expect(birthdayFromDate('1980-11-24')).toBe('11-24');
    expect(birthdayFromDate(null)).toBeNull();
  });

  it('CC month/day → MM-DD; both needed; invalid pairs are empty', () => {
    expect(birthdayFromParts(11, 4)).toBe('11-04');
    expect(birthdayFromParts(2, 29)).toBe('02-29');
    expect(birthdayFromParts(11, null)).toBeNull();
    expect(birthdayFromParts(2, 30)).toBeNull();
    expect(birthdayFromParts(13, 1)).toBeNull();
  });

  it('Pipedrive → CC sets both month and day (or clears both)', () => {
    expect(birthdayToParts('11-04')).toEqual({ birthday_month: 11, birthday_day: 4 });
    expect(birthdayToParts(null)).toEqual({ birthday_month: null, birthday_day: null });
  });

  it('CC → Pipedrive keeps the year on the person and never invents one', () => {
    expect(birthdayOntoDate('11-04', '1980-01-15')).toEqual({ ok: true, date: '1980-11-04' });
    expect(birthdayOntoDate('11-04', null)).toEqual({ ok: false, reason: 'BIRTHDAY_YEAR_UNKNOWN' });
    expect(birthdayOntoDate('02-29', '1981-05-05')).toEqual({
      ok: false,
      reason: 'BIRTHDAY_INVALID',
    });
    expect(birthdayOntoDate(null, '1980-01-15')).toEqual({ ok: true, date: null });
  });
});

describe('option labels', () => {
  const options = [
    { id: 1, label: 'Mining' },
    { id: 2, label: 'Retail' },
    { id: 3, label: 'Oil, Gas' },
  ];

  it.each([
    [1, 'Mining'],
    ['2', 'Retail'],
    [[2, 1], 'Retail, Mining'],
    ['1,2', 'Mining, Retail'],
    [{ id: 2, label: 'Retail' }, 'Retail'],
    [[{ id: 1, label: 'Mining' }], 'Mining'],
    [null, null],
    [[], null],
  ])('Pipedrive ids %j → %j', (raw, expected) => {
    expect(optionLabels(raw, options).value).toBe(expected);
  });

  it('reports ids that no longer exist and leaves them out', () => {
    expect(optionLabels([1, 99], options)).toEqual({ value: 'Mining', unknownIds: [99] });
  });

  it('CC text → existing ids, case-insensitive; single takes the whole text', () => {
    expect(optionIdsFromText('mINING', options, false)).toEqual({ ok: true, ids: [1] });
    expect(optionIdsFromText('oil, gas', options, false)).toEqual({ ok: true, ids: [3] });
    expect(optionIdsFromText(' retail , Mining, retail', options, true)).toEqual({
      ok: true,
      ids: [2, 1],
    });
    expect(optionIdsFromText(null, options, true)).toEqual({ ok: true, ids: [] });
  });

  it('a label that does not exist is reported, never created', () => {
    expect(optionIdsFromText('Farming', options, false)).toEqual({
      ok: false,
      missing: ['Farming'],
    });
    expect(optionIdsFromText('Mining, Farming, Fishing', options, true)).toEqual({
      ok: false,
      missing: ['Farming', 'Fishing'],
    });
  });

  it('compares single options case-insensitively and multiple options as sets', () => {
    expect(sameValue('option', 'Mining', 'mining')).toBe(true);
    expect(sameValue('options', 'Golf, Chess', 'chess,golf')).toBe(true);
    expect(sameValue('options', 'Golf', 'Golf, Chess')).toBe(false);
    expect(sameValue('text', 'Mining', 'mining')).toBe(false);
  });
});

describe('addresses, lengths, comparison', () => {
  it('addresses have a canonical JSON form and round-trip', () => {
    const v = addressValue({ street: ' 1 Main St ', city: 'Oslo', country: 'Norway' });
    expect(addressParts(v)).toEqual({
      street: '1 Main St',
      city: 'Oslo',
      state: null,
      postal_code: null,
      country: 'Norway',
    });
    expect(addressValue({})).toBeNull();
  });

  it('truncates to a limit, trimming a trailing space', () => {
    expect(truncate('abcdef', 3)).toBe('abc');
    expect(truncate('ab cdef', 3)).toBe('ab');
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abc', undefined)).toBe('abc');
    expect(truncate(null, 3)).toBeNull();
  });

  it('null equals only null', () => {
    expect(sameValue('text', null, null)).toBe(true);
    expect(sameValue('text', null, '')).toBe(false);
    expect(sameValue('phone', null, '1')).toBe(false);
  });
});
