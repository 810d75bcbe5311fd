import { describe, expect, it } from 'vitest';
import { plan } from '../../../server/sync/core/plan.ts';
import { addToSummary, emptySummary } from '../../../server/sync/core/summary.ts';
import { contact, person } from './fixtures.ts';
import { F, input } from './plan-fixtures.ts';

describe('dry-run summary', () => {
  it('counts links, creates, conflicts by field, exclusions by reason and duplicates', () => {
    const plans = [
      plan(
        input({ person: person({ job_title: 'CEO' }), contact: contact({ job_title: 'Boss' }) }),
      ),
      plan(input({ person: person({ id: 2 }) })),
      plan(input({ contact: contact({ contact_id: 'c-2' }) })),
      plan(input({ person: person({ id: 3, emails: [] }) })),
      plan(input({ person: person({ id: 4, emails: [{ value: 'bad', primary: true }] }) })),
      plan(input({ person: person({ id: 5 }), duplicateOf: 1 })),
      plan(input({ person: person({ id: 6 }), contact: contact() })),
    ];
    const summary = plans.reduce(addToSummary, emptySummary());
    expect(summary).toEqual({
      pairs: 7,
      toLink: 2,
      toCreateInCc: 1,
      toCreateInPipedrive: 1,
      toRevive: 0,
      toUpdateInCc: 1,
      toUpdateInPipedrive: 0,
      inSync: 0,
      conflictsByField: { [F.job]: 1 },
      excludedByReason: { EMAIL_MISSING: 1, EMAIL_INVALID: 1 },
      errorsByCode: {},
      duplicates: 1,
      warningsByCode: {},
    });
  });
});
