import { describe, expect, it } from 'vitest';
import type { RowDirection, ValueKind } from '../../../server/sync/core/fields.ts';
import { type FieldMerge, merge, mergeField } from '../../../server/sync/core/merge.ts';
import type { FieldValue } from '../../../server/sync/core/normalise.ts';

function m(
  base: FieldValue | undefined,
  pipedrive: FieldValue,
  cc: FieldValue,
  opts: {
    direction?: RowDirection;
    winner?: 'pipedrive' | 'constant_contact';
    kind?: ValueKind;
  } = {},
): FieldMerge {
  return mergeField({
    field: { id: 'f', kind: opts.kind ?? 'text', direction: opts.direction ?? 'both' },
    base,
    pipedrive,
    cc,
    conflictWinner: opts.winner ?? 'pipedrive',
  });
}

describe('three-way merge, two-way field, continuous sync', () => {
  it.each([
    // [case, base, pipedrive, cc, expected]
    ['nothing changed', 'A', 'A', 'A', { agreed: 'A' }],
    ['only Pipedrive changed → Pipedrive wins', 'A', 'B', 'A', { agreed: 'B', toCc: 'B' }],
    ['only CC changed → CC wins', 'A', 'A', 'C', { agreed: 'C', toPipedrive: 'C' }],
    ['Pipedrive cleared → cleared in CC', 'A', null, 'A', { agreed: null, toCc: null }],
    ['CC cleared → cleared in Pipedrive', 'A', 'A', null, { agreed: null, toPipedrive: null }],
    ['Pipedrive set from empty', null, 'B', null, { agreed: 'B', toCc: 'B' }],
    ['both changed to the same value → agree, no write', 'A', 'B', 'B', { agreed: 'B' }],
  ] as const)('%s', (_, base, pipedrive, cc, expected) => {
    expect(m(base, pipedrive, cc)).toEqual(expected);
  });

  it('both changed differently → the conflict winner wins and the conflict is reported', () => {
    expect(m('A', 'B', 'C', { winner: 'pipedrive' })).toEqual({
      agreed: 'B',
      toCc: 'B',
      conflict: { fieldId: 'f', pipedrive: 'B', cc: 'C', winner: 'pipedrive' },
    });
    expect(m('A', 'B', 'C', { winner: 'constant_contact' })).toEqual({
      agreed: 'C',
      toPipedrive: 'C',
      conflict: { fieldId: 'f', pipedrive: 'B', cc: 'C', winner: 'constant_contact' },
    });
  });

  it('one side cleared while the other changed is a conflict too', () => {
    expect(m('A', null, 'C', { winner: 'pipedrive' })).toMatchObject({ agreed: null, toCc: null });
  });

  it('an echo (a value equal to the base arriving after our own write) does nothing', () => {
    // We wrote B to CC and stored B as base; CC now reports B, Pipedrive still B.
    expect(m('B', 'B', 'B')).toEqual({ agreed: 'B' });
    // CC reports B in another spelling the kind treats as equal: still an echo.
    expect(m('+1 555 0100', '+1 555 0100', '15550100', { kind: 'phone' })).toEqual({
      agreed: '+1 555 0100',
    });
  });

  it('never writes a value the destination already holds (by the kind’s equality)', () => {
    // Pipedrive changed A → "Golf, Chess" while CC already says "chess, golf".
    const r = m('A', 'Golf, Chess', 'chess, golf', { kind: 'options' });
    expect(r.toCc).toBeUndefined();
    expect(r.toPipedrive).toBeUndefined();
    const phone = m('1', '+1 (555) 0100', '15550100', { kind: 'phone' });
    expect(phone).toEqual({ agreed: '+1 (555) 0100' });
  });
});

describe('three-way merge, initial sync (no base)', () => {
  it.each([
    ['equal values → nothing', 'A', 'A', { agreed: 'A' }],
    ['both empty → nothing', null, null, { agreed: null }],
    [
      'empty Pipedrive never overwrites CC; CC fills Pipedrive',
      null,
      'C',
      { agreed: 'C', toPipedrive: 'C' },
    ],
    [
      'empty CC never overwrites Pipedrive; Pipedrive fills CC',
      'B',
      null,
      { agreed: 'B', toCc: 'B' },
    ],
  ] as const)('%s', (_, pipedrive, cc, expected) => {
    expect(m(undefined, pipedrive, cc)).toEqual(expected);
  });

  it('both non-empty and different → the conflict winner decides', () => {
    expect(m(undefined, 'B', 'C', { winner: 'constant_contact' })).toEqual({
      agreed: 'C',
      toPipedrive: 'C',
      conflict: { fieldId: 'f', pipedrive: 'B', cc: 'C', winner: 'constant_contact' },
    });
    expect(m(undefined, 'B', 'C', { winner: 'pipedrive' })).toMatchObject({
      agreed: 'B',
      toCc: 'B',
    });
  });

  it('equal by the kind’s comparison is not a conflict', () => {
    expect(m(undefined, 'Mining', 'mining', { kind: 'option' })).toEqual({ agreed: 'Mining' });
  });
});

describe('per-field direction restricts which side may be written', () => {
  it('to_cc: Pipedrive changes flow, CC edits are not copied back', () => {
    expect(m('A', 'B', 'A', { direction: 'to_cc' })).toEqual({ agreed: 'B', toCc: 'B' });
    expect(m('A', 'A', 'C', { direction: 'to_cc' })).toEqual({ agreed: 'A' });
    // Both changed: the source wins whatever the conflict winner says; not a conflict.
    expect(m('A', 'B', 'C', { direction: 'to_cc', winner: 'constant_contact' })).toEqual({
      agreed: 'B',
      toCc: 'B',
    });
  });

  it('to_pipedrive: the mirror image', () => {
    expect(m('A', 'A', 'C', { direction: 'to_pipedrive' })).toEqual({
      agreed: 'C',
      toPipedrive: 'C',
    });
    expect(m('A', 'B', 'A', { direction: 'to_pipedrive' })).toEqual({ agreed: 'A' });
  });

  it('initial one-way: an empty source never overwrites; a non-empty source wins', () => {
    expect(m(undefined, null, 'C', { direction: 'to_cc' })).toEqual({ agreed: null });
    expect(m(undefined, 'B', 'C', { direction: 'to_cc' })).toEqual({ agreed: 'B', toCc: 'B' });
    expect(m(undefined, 'B', null, { direction: 'to_pipedrive' })).toEqual({ agreed: null });
    expect(m(undefined, 'B', 'B', { direction: 'to_pipedrive' })).toEqual({ agreed: 'B' });
  });

  it('no write ever goes against the direction', () => {
    const values: FieldValue[] = [null, 'A', 'B', 'C'];
    for (const base of [undefined, ...values])
      for (const p of values)
        for (const c of values)
          for (const winner of ['pipedrive', 'constant_contact'] as const) {
            expect(m(base, p, c, { direction: 'to_cc', winner }).toPipedrive).toBeUndefined();
            expect(m(base, p, c, { direction: 'to_pipedrive', winner }).toCc).toBeUndefined();
          }
  });

  it('after any merge, both sides hold the agreed value (convergence)', () => {
    const values: FieldValue[] = [null, 'A', 'B'];
    for (const base of [undefined, ...values])
      for (const p of values)
        for (const c of values) {
          const r = m(base, p, c);
          const pAfter = r.toPipedrive !== undefined ? r.toPipedrive : p;
          const cAfter = r.toCc !== undefined ? r.toCc : c;
          expect([pAfter, cAfter]).toEqual([r.agreed, r.agreed]);
        }
  });
});

describe('merge over a record', () => {
  const fields = [
    { id: 'a', kind: 'text', direction: 'both' },
    { id: 'b', kind: 'text', direction: 'to_cc' },
    { id: 'c', kind: 'text', direction: 'both' },
  ] as const;

  it('collects writes per side, agreed values and conflicts', () => {
    const r = merge({
      fields,
      base: { a: 'A', b: 'B', c: 'C' },
      pipedrive: { a: 'A2', b: 'B2', c: 'P' },
      cc: { a: 'A', b: 'B', c: 'Q' },
      conflictWinner: 'constant_contact',
    });
    expect(r.toCc).toEqual({ a: 'A2', b: 'B2' });
    expect(r.toPipedrive).toEqual({ c: 'Q' });
    expect(r.agreed).toEqual({ a: 'A2', b: 'B2', c: 'Q' });
    expect(r.conflicts).toEqual([
      { fieldId: 'c', pipedrive: 'P', cc: 'Q', winner: 'constant_contact' },
    ]);
  });

  it('a field without a stored base follows the initial rules (row added after linking)', () => {
    const r = merge({
      fields,
      base: { a: 'A' },
      pipedrive: { a: 'A', c: null },
      cc: { a: 'A', c: 'Q' },
      conflictWinner: 'pipedrive',
    });
    // c has no base: the empty Pipedrive value does not clear CC; CC fills Pipedrive.
    expect(r.toCc).toEqual({});
    expect(r.toPipedrive).toEqual({ c: 'Q' });
  });

  it('initial: true ignores the stored base', () => {
    const r = merge({
      fields,
      base: { a: 'A' },
      pipedrive: { a: null },
      cc: { a: 'A' },
      conflictWinner: 'pipedrive',
      initial: true,
    });
    expect(r.toCc).toEqual({});
    expect(r.agreed.a).toBe('A');
  });
});
