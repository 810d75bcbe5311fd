/**
 * Connection settings: the zod schema stored per connection and served to the settings page.
 * The checks of a field mapping against the fields both APIs offer are in mapping.ts.
 */
import { z } from 'zod';
import {
  type CcFieldRef,
  ccAddressKinds,
  ccPhoneKinds,
  ccStandardKeys,
  type PipedriveFieldRef,
} from './core/fields.ts';
import type { MappingRow } from './mapping.ts';

// The mapping checks live in mapping.ts, free of zod, so the settings page runs the same
// checks in the browser as the server runs on save (extension/src/models/editor.ts).
export {
  type AvailableFields,
  compileMapping,
  defaultMapping,
  type MappingProblem,
  type MappingProblemCode,
  type MappingRow,
  validateMapping,
} from './mapping.ts';

const pipedriveFieldRef: z.ZodType<PipedriveFieldRef> = z.object({
  entity: z.enum(['person', 'organization']),
  key: z.string().min(1),
});

const ccFieldRef: z.ZodType<CcFieldRef> = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('standard'), field: z.enum(ccStandardKeys) }),
  z.object({ kind: z.literal('phone'), phoneKind: z.enum(ccPhoneKinds) }),
  z.object({ kind: z.literal('address'), addressKind: z.enum(ccAddressKinds) }),
  z.object({ kind: z.literal('birthday') }),
  z.object({ kind: z.literal('custom'), customFieldId: z.string().min(1) }),
]);

export const mappingRow: z.ZodType<MappingRow> = z.object({
  pipedrive: pipedriveFieldRef,
  cc: ccFieldRef,
  direction: z.enum(['both', 'to_cc', 'to_pipedrive']),
});

export const engagementSettings = z.object({
  opens: z.boolean().default(true),
  clicks: z.boolean().default(true),
  optouts: z.boolean().default(true),
  bounces: z.boolean().default(true),
  recordAs: z.enum(['activities', 'notes']).default('activities'),
  /**
   * One entry per burst of opens (a contact's opens of one campaign within an hour of the
   * first) instead of one per open. Optional, absent = off, so saved settings stay valid.
   */
  openBursts: z.boolean().optional(),
  /** How far back the first engagement import reaches; CC's own horizon is UNCONFIRMED (CC 9.4). */
  historyDays: z.number().int().min(0).max(1825).default(90),
});

export const connectionSettings = z
  .object({
    direction: z.enum(['two_way', 'to_cc', 'to_pipedrive']),
    pipedriveSource: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('all') }),
      z.object({
        kind: z.literal('filters'),
        filterIds: z.array(z.number().int().positive()).min(1, 'Choose at least one filter.'),
      }),
    ]),
    ccSource: z.discriminatedUnion('kind', [
      z.object({ kind: z.literal('all') }),
      z.object({
        kind: z.literal('lists'),
        listIds: z.array(z.string().min(1)).min(1, 'Choose at least one list.'),
      }),
    ]),
    targetListIds: z.array(z.string().min(1)).max(50).default([]),
    newPersonOwnerId: z.number().int().positive().optional(),
    mapping: z.array(mappingRow).default([]),
    conflictWinner: z.enum(['pipedrive', 'constant_contact']),
    engagement: engagementSettings.prefault({}),
  })
  .superRefine((s, ctx) => {
    // DESIGN §3 "Rules": created contacts go to the target list(s), created persons get the owner.
    if (s.direction !== 'to_pipedrive' && s.targetListIds.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['targetListIds'],
        message: 'Choose at least one Constant Contact list for the contacts the app creates.',
      });
    }
    if (s.direction !== 'to_cc' && s.newPersonOwnerId === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['newPersonOwnerId'],
        message: 'Choose the Pipedrive user who will own the persons the app creates.',
      });
    }
  });
export type ConnectionSettings = z.infer<typeof connectionSettings>;
