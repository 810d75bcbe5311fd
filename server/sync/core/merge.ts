/**
 * Per-field three-way merge against the stored base (DESIGN §3 "Continuous sync" and
 * "Initial sync"). Values are normalised (normalise.ts) and compared with `sameValue`.
 *
 * Decisions where DESIGN §3 is silent:
 * - A one-way field (`to_cc` / `to_pipedrive`) follows its source: edits made on the
 *   destination are not changes (the admin said that side does not flow back), the base is
 *   the source value, and in the initial sync a non-empty source value wins over a different
 *   destination value without counting as a conflict. An empty source still never overwrites.
 * - A field with no stored base (a link made before the row was added) follows the initial
 *   rules, like a first sync of that field.
 * - After the initial sync, clearing a value is a change like any other and is copied.
 */
import type { RowDirection, ValueKind } from './fields.ts';
import type { FieldValues } from './map.ts';
import { type FieldValue, sameValue } from './normalise.ts';

export type ConflictWinner = 'pipedrive' | 'constant_contact';

export interface MergeField {
  id: string;
  kind: ValueKind;
  direction: RowDirection;
}

export interface Conflict {
  fieldId: string;
  pipedrive: FieldValue;
  cc: FieldValue;
  winner: ConflictWinner;
}

export interface FieldMerge {
  /** Set when Pipedrive must be written with this value (null clears). */
  toPipedrive?: FieldValue;
  /** Set when CC must be written with this value (null clears). */
  toCc?: FieldValue;
  /** The value both sides hold once the writes are done: the next base. */
  agreed: FieldValue;
  conflict?: Conflict;
}

export interface FieldMergeInput {
  field: MergeField;
  /** undefined: no base for this field (initial rules). */
  base: FieldValue | undefined;
  pipedrive: FieldValue;
  cc: FieldValue;
  conflictWinner: ConflictWinner;
}

/** Writes `value` to the side(s) whose value differs; never a write that changes nothing. */
function settle(
  kind: ValueKind,
  value: FieldValue,
  pipedrive: FieldValue,
  cc: FieldValue,
  direction: RowDirection,
): FieldMerge {
  const result: FieldMerge = { agreed: value };
  if (direction !== 'to_cc' && !sameValue(kind, pipedrive, value)) result.toPipedrive = value;
  if (direction !== 'to_pipedrive' && !sameValue(kind, cc, value)) result.toCc = value;
  return result;
}

export function mergeField({
  field,
  base,
  pipedrive,
  cc,
  conflictWinner,
}: FieldMergeInput): FieldMerge {
  const { kind, direction, id } = field;
  const same = (a: FieldValue, b: FieldValue) => sameValue(kind, a, b);
  const initial = base === undefined;

  if (direction !== 'both') {
    const source = direction === 'to_cc' ? pipedrive : cc;
    if (initial) {
      // An empty value never overwrites a non-empty one in the initial sync.
      return source === null ? { agreed: null } : settle(kind, source, pipedrive, cc, direction);
    }
    return same(source, base) ? { agreed: base } : settle(kind, source, pipedrive, cc, direction);
  }

  const decide = (): FieldMerge => {
    const winnerValue = conflictWinner === 'pipedrive' ? pipedrive : cc;
    return {
      ...settle(kind, winnerValue, pipedrive, cc, direction),
      conflict: { fieldId: id, pipedrive, cc, winner: conflictWinner },
    };
  };

  if (initial) {
    if (same(pipedrive, cc)) return { agreed: pipedrive };
    if (pipedrive === null) return settle(kind, cc, pipedrive, cc, direction);
    if (cc === null) return settle(kind, pipedrive, pipedrive, cc, direction);
    return decide();
  }

  const pipedriveChanged = !same(pipedrive, base);
  const ccChanged = !same(cc, base);
  // Neither changed, or a value equal to the base arrived: an echo of our own write.
  if (!pipedriveChanged && !ccChanged) return { agreed: base };
  if (pipedriveChanged && !ccChanged) return settle(kind, pipedrive, pipedrive, cc, direction);
  if (ccChanged && !pipedriveChanged) return settle(kind, cc, pipedrive, cc, direction);
  // Both changed to the same value: they agree, nothing to write.
  if (same(pipedrive, cc)) return { agreed: pipedrive };
  return decide();
}

export interface MergeInput {
  fields: readonly MergeField[];
  /** Stored base; null before the first sync of the pair. */
  base: FieldValues | null;
  pipedrive: FieldValues;
  cc: FieldValues;
  conflictWinner: ConflictWinner;
  /** Force the initial rules for every field (initial sync, or a pair linked just now). */
  initial?: boolean;
}

export interface MergeResult {
  toPipedrive: FieldValues;
  toCc: FieldValues;
  agreed: FieldValues;
  conflicts: Conflict[];
}

export function merge(input: MergeInput): MergeResult {
  const result: MergeResult = { toPipedrive: {}, toCc: {}, agreed: {}, conflicts: [] };
  for (const field of input.fields) {
    const base =
      input.initial || input.base === null || !(field.id in input.base)
        ? undefined
        : (input.base[field.id] ?? null);
    const m = mergeField({
      field,
      base,
      pipedrive: input.pipedrive[field.id] ?? null,
      cc: input.cc[field.id] ?? null,
      conflictWinner: input.conflictWinner,
    });
    result.agreed[field.id] = m.agreed;
    if (m.toPipedrive !== undefined) result.toPipedrive[field.id] = m.toPipedrive;
    if (m.toCc !== undefined) result.toCc[field.id] = m.toCc;
    if (m.conflict) result.conflicts.push(m.conflict);
  }
  return result;
}
