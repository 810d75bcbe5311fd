/**
 * The dry-run summary (DESIGN §3 "Initial sync"): counts to link, to create on each side,
 * conflicts by field, excluded by reason, duplicates, computed from the plans of every pair
 * without writing anything. Pure; the shell feeds it plan by plan so memory stays flat.
 */
import type { Plan } from './actions.ts';
import type { CoreCode } from './codes.ts';

export interface PlanSummary {
  pairs: number;
  toLink: number;
  toCreateInCc: number;
  toCreateInPipedrive: number;
  toRevive: number;
  toUpdateInCc: number;
  toUpdateInPipedrive: number;
  inSync: number;
  conflictsByField: Record<string, number>;
  excludedByReason: Record<string, number>;
  errorsByCode: Partial<Record<CoreCode, number>>;
  duplicates: number;
  warningsByCode: Partial<Record<CoreCode, number>>;
}

export function emptySummary(): PlanSummary {
  return {
    pairs: 0,
    toLink: 0,
    toCreateInCc: 0,
    toCreateInPipedrive: 0,
    toRevive: 0,
    toUpdateInCc: 0,
    toUpdateInPipedrive: 0,
    inSync: 0,
    conflictsByField: {},
    excludedByReason: {},
    errorsByCode: {},
    duplicates: 0,
    warningsByCode: {},
  };
}

function bump<K extends string>(counts: Partial<Record<K, number>>, key: K): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Adds one pair's plan to the summary (mutates and returns it). */
export function addToSummary(summary: PlanSummary, plan: Plan): PlanSummary {
  summary.pairs++;
  for (const action of plan.actions) {
    switch (action.kind) {
      case 'link':
        summary.toLink++;
        break;
      case 'create_contact':
        summary.toCreateInCc++;
        break;
      case 'create_person':
        summary.toCreateInPipedrive++;
        break;
      case 'revive_contact':
        summary.toRevive++;
        break;
      case 'update_contact':
        summary.toUpdateInCc++;
        break;
      case 'update_person':
        summary.toUpdateInPipedrive++;
        break;
      case 'exclude':
        bump(summary.excludedByReason, action.reason);
        break;
      case 'record_error':
        if (action.code === 'DUPLICATE_EMAIL') summary.duplicates++;
        else bump(summary.errorsByCode, action.code);
        break;
      case 'nothing':
        if (action.reason === 'in_sync') summary.inSync++;
        break;
      case 'mark_link':
      case 'move_link':
        break;
    }
  }
  for (const conflict of plan.conflicts) bump(summary.conflictsByField, conflict.fieldId);
  for (const warning of plan.warnings) bump(summary.warningsByCode, warning.code);
  return summary;
}
