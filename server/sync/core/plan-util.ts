/**
 * Helpers shared by plan.ts and plan-create.ts: the planning context, flow narrowing, and
 * the rules for building the next base from what was actually written.
 */

import type { LinkBase, NothingReason, Plan, PlanInput, SyncAction } from './actions.ts';
import type { CoreIssue } from './codes.ts';
import { coreCodes } from './codes.ts';
import type { RowDirection } from './fields.ts';
import {
  type ContactSnapshot,
  contactDeleted,
  type FieldValues,
  type PersonSnapshot,
  type SideRecord,
} from './map.ts';
import type { WriteResult } from './map-write.ts';
import type { MergeField } from './merge.ts';

export interface Ctx extends PlanInput {
  toCc: boolean;
  toPipedrive: boolean;
  mergeFields: MergeField[];
}

/** A row's direction narrowed by which flows are open for this pair; null = closed. */
export function narrow(
  direction: RowDirection,
  toCc: boolean,
  toPipedrive: boolean,
): RowDirection | null {
  const cc = direction !== 'to_pipedrive' && toCc;
  const pd = direction !== 'to_cc' && toPipedrive;
  return cc && pd ? 'both' : cc ? 'to_cc' : pd ? 'to_pipedrive' : null;
}

/**
 * The key under which a link's stored base values note an email address the last sync found
 * held by another contact (an EMAIL_COLLISION). The person job and the poll look the address
 * up before planning; the full scan does not, and without the note it would plan the refused
 * write again on every run. Not a field id, so the next base built (nextValues) drops it.
 */
export const TAKEN_EMAIL_KEY = '@email_taken';

export function takenEmail(base: LinkBase | null): string | null {
  return base?.values[TAKEN_EMAIL_KEY] ?? null;
}

/** A plan of one action that stores no new base. */
export function single(action: SyncAction): Plan {
  return { actions: [action], base: null, conflicts: [], warnings: [] };
}

export function empty(reason: NothingReason, base: LinkBase | null = null): Plan {
  return { actions: [{ kind: 'nothing', reason }], base, conflicts: [], warnings: [] };
}

export function livePerson(p: PersonSnapshot | null): PersonSnapshot | null {
  return p && !p.is_deleted ? p : null;
}

export function liveContact(c: ContactSnapshot | null): ContactSnapshot | null {
  return c && !contactDeleted(c) ? c : null;
}

/** Split write issues: errors become record_error actions, the rest warnings. */
export function sortIssues(
  issues: CoreIssue[],
  out: Plan,
  ids: { personId?: number; contactId?: string },
): void {
  for (const issue of issues) {
    if (coreCodes[issue.code].severity === 'error') {
      out.actions.push({ kind: 'record_error', ...ids, ...issue });
    } else {
      out.warnings.push(issue);
    }
  }
}

/** Next base: agreed values, except fields whose write was dropped or whose flow is closed. */
export function nextValues(
  ctx: Ctx,
  old: FieldValues | null,
  agreed: FieldValues,
  dropped: Set<string>,
): FieldValues {
  const values: FieldValues = {};
  for (const field of ctx.fields) {
    const keepOld = dropped.has(field.id) || !(field.id in agreed);
    if (!keepOld) values[field.id] = agreed[field.id] ?? null;
    else if (old && field.id in old) values[field.id] = old[field.id] ?? null;
  }
  return values;
}

export function droppedIds(wanted: FieldValues, write: WriteResult<unknown> | null): string[] {
  if (!write) return [];
  return Object.keys(wanted).filter((id) => !write.written.includes(id));
}

/** Truncation warnings matter only for values actually sent to CC. */
export function readWarnings(record: SideRecord, sentToCc: FieldValues): CoreIssue[] {
  return record.issues.filter(
    (i) => i.code !== 'FIELD_TRUNCATED' || (i.fieldId !== undefined && i.fieldId in sentToCc),
  );
}
