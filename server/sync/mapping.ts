/**
 * The pure checks of a field mapping against the fields both APIs offer (DESIGN §3
 * "Per-field direction", "Option fields", "Refresh fields"), the default mapping and the rows
 * the core works with. No I/O and no zod: the shell passes the field lists it built with the
 * converters in core/fields.ts, and the settings page bundles this file to explain a row's
 * problem as soon as it is edited, with the server's own words.
 */
import {
  type CcFieldRef,
  type CompiledField,
  type ConnectionDirection,
  ccAddressKinds,
  ccKey,
  ccPhoneKinds,
  ccStandardKeys,
  effectiveDirection,
  type FieldInfo,
  type PipedriveFieldRef,
  pipedriveKey,
  type RowDirection,
  rowId,
  typesCompatible,
  valueKind,
  writesCc,
  writesPipedrive,
} from './core/fields.ts';

export interface MappingRow {
  pipedrive: PipedriveFieldRef;
  cc: CcFieldRef;
  direction: RowDirection;
}

export interface AvailableFields {
  pipedrive: FieldInfo[];
  cc: FieldInfo[];
}

export type MappingProblemCode =
  | 'EMAIL_ROW'
  | 'FIELD_MISSING'
  | 'FIELD_UNSUPPORTED'
  | 'READ_ONLY'
  | 'TYPE_MISMATCH'
  | 'DIRECTION_UNUSED'
  | 'DUPLICATE_DESTINATION';

export interface MappingProblem {
  /** Index of the row in the mapping. */
  row: number;
  code: MappingProblemCode;
  message: string;
}

const sideName = { pipedrive: 'Pipedrive', cc: 'Constant Contact' } as const;

/**
 * Checks every row and returns all problems (empty = valid). Messages name the fields by
 * their labels so the admin can act on them in the settings page.
 */
export function validateMapping(
  rows: MappingRow[],
  available: AvailableFields,
  direction: ConnectionDirection,
): MappingProblem[] {
  const problems: MappingProblem[] = [];
  const pdByKey = new Map(available.pipedrive.map((f) => [f.key, f]));
  const ccByKey = new Map(available.cc.map((f) => [f.key, f]));
  const writers = new Map<string, number>();

  rows.forEach((row, index) => {
    const add = (code: MappingProblemCode, message: string) =>
      problems.push({ row: index, code, message });
    if (row.pipedrive.entity === 'person' && row.pipedrive.key === 'email') {
      add(
        'EMAIL_ROW',
        'Email is always synced in both directions and cannot be a mapping row. Remove this row.',
      );
      return;
    }
    const pd = pdByKey.get(pipedriveKey(row.pipedrive));
    const cc = ccByKey.get(ccKey(row.cc));
    if (!pd || !cc) {
      const gone = [
        !pd && `the Pipedrive field ${pipedriveKey(row.pipedrive)}`,
        !cc && `the Constant Contact field ${ccKey(row.cc)}`,
      ].filter(Boolean);
      add(
        'FIELD_MISSING',
        `This row uses ${gone.join(' and ')}, which no longer exists. Choose another field or remove the row, then save.`,
      );
      return;
    }
    for (const f of [pd, cc]) {
      if (f.type === 'unsupported') {
        add(
          'FIELD_UNSUPPORTED',
          `${sideName[f.side]} field “${f.label}” has type ${f.sourceType ?? 'unknown'}, which the sync cannot carry. Choose another field.`,
        );
      }
    }
    if (pd.type === 'unsupported' || cc.type === 'unsupported') return;

    const effective = effectiveDirection(row.direction, direction);
    if (!effective) {
      add(
        'DIRECTION_UNUSED',
        `“${pd.label}” ↔ “${cc.label}” only syncs ${row.direction === 'to_cc' ? 'to Constant Contact' : 'to Pipedrive'}, but the connection syncs the other way. Change the row’s direction or remove it.`,
      );
      return;
    }
    const targets: [FieldInfo, FieldInfo][] = [];
    if (writesCc(effective)) targets.push([pd, cc]);
    if (writesPipedrive(effective)) targets.push([cc, pd]);
    for (const [from, to] of targets) {
      if (to.readOnly) {
        add(
          'READ_ONLY',
          `${sideName[to.side]} field “${to.label}” is read-only, so it can only be synced away from ${sideName[to.side]}. Set the direction to ${to.side === 'cc' ? '“to Pipedrive”' : '“to Constant Contact”'}.`,
        );
      } else if (!typesCompatible(from.type, to.type)) {
        add(
          'TYPE_MISMATCH',
          `A ${from.type} value from ${sideName[from.side]} field “${from.label}” cannot be written to ${sideName[to.side]} field “${to.label}” (${to.type}). Choose a compatible field or a one-way direction.`,
        );
      } else {
        const first = writers.get(to.key);
        if (first !== undefined) {
          add(
            'DUPLICATE_DESTINATION',
            `${sideName[to.side]} field “${to.label}” is already written by row ${first + 1}. A field can be written by one row only.`,
          );
        } else {
          writers.set(to.key, index);
        }
      }
    }
  });
  return problems;
}

/**
 * The rows the core works with: valid rows only, resolved against the available fields. The
 * shell refuses to sync while `validateMapping` reports problems (DESIGN §3 "a mapping to a
 * field that no longer exists is flagged, not silently dropped"); this filter is a backstop.
 */
export function compileMapping(
  rows: MappingRow[],
  available: AvailableFields,
  direction: ConnectionDirection,
): CompiledField[] {
  const bad = new Set(validateMapping(rows, available, direction).map((p) => p.row));
  const compiled: CompiledField[] = [];
  rows.forEach((row, index) => {
    if (bad.has(index)) return;
    const pd = available.pipedrive.find((f) => f.key === pipedriveKey(row.pipedrive));
    const cc = available.cc.find((f) => f.key === ccKey(row.cc));
    const effective = effectiveDirection(row.direction, direction);
    if (!pd || !cc || !effective) return;
    compiled.push({
      id: rowId(row),
      pipedrive: row.pipedrive,
      cc: row.cc,
      direction: effective,
      kind: valueKind(pd, cc),
      pipedriveInfo: pd,
      ccInfo: cc,
    });
  });
  return compiled;
}

/**
 * The mapping offered to a new connection (issue: "names, job title, company name, phone"):
 * only rows whose fields exist and that validate for the connection's direction.
 */
export function defaultMapping(
  available: AvailableFields,
  direction: ConnectionDirection = 'two_way',
): MappingRow[] {
  const candidates: MappingRow[] = [
    row('person', 'first_name', { kind: 'standard', field: 'first_name' }, 'both'),
    row('person', 'last_name', { kind: 'standard', field: 'last_name' }, 'both'),
    row('person', 'job_title', { kind: 'standard', field: 'job_title' }, 'both'),
    // Organization name is read-only towards Pipedrive (core/fields.ts), hence to_cc.
    row('organization', 'name', { kind: 'standard', field: 'company_name' }, 'to_cc'),
    // Pipedrive labels phones `work` by default (reference 4.5).
    row('person', 'phone', { kind: 'phone', phoneKind: 'work' }, 'both'),
  ];
  const chosen: MappingRow[] = [];
  for (const candidate of candidates) {
    const next = [...chosen, candidate];
    if (validateMapping(next, available, direction).length === 0) chosen.push(candidate);
  }
  return chosen;
}

function row(
  entity: PipedriveFieldRef['entity'],
  key: string,
  cc: CcFieldRef,
  direction: RowDirection,
): MappingRow {
  return { pipedrive: { entity, key }, cc, direction };
}

/** The reference behind a Pipedrive `FieldInfo.key` (`person:first_name`), for the editor. */
export function pipedriveRefOf(key: string): PipedriveFieldRef | null {
  const [entity, ...rest] = key.split(':');
  const field = rest.join(':');
  return (entity === 'person' || entity === 'organization') && field
    ? { entity, key: field }
    : null;
}

/** The reference behind a Constant Contact `FieldInfo.key` (`phone:work`, `custom:<id>`). */
export function ccRefOf(key: string): CcFieldRef | null {
  const [kind, ...rest] = key.split(':');
  const value = rest.join(':');
  if (kind === 'birthday' && !value) return { kind: 'birthday' };
  if (kind === 'custom' && value) return { kind: 'custom', customFieldId: value };
  const phone = ccPhoneKinds.find((k) => k === value);
  if (kind === 'phone' && phone) return { kind: 'phone', phoneKind: phone };
  const address = ccAddressKinds.find((k) => k === value);
  if (kind === 'address' && address) return { kind: 'address', addressKind: address };
  const standard = ccStandardKeys.find((k) => k === kind);
  return standard && !value ? { kind: 'standard', field: standard } : null;
}
