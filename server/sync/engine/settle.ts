/**
 * Addresses a scan freed. A scan plans every person once, in id order, against what it read
 * at the start; when it moves a linked pair off an address (an email change it found itself,
 * its webhook or poll missed), whoever waited for that address was planned against the pair:
 * a person reported as the pair's duplicate, or a contact taken as the pair person's. Each
 * such address is settled here from both APIs' current state, as the continuous sync would
 * settle it: the oldest person now carrying it takes the contact that has it (or a new one),
 * and a contact nobody linked is matched or created as the poll would.
 */
import type { SyncAction } from '../core/actions.ts';
import { syncContact } from './cc-poll.ts';
import type { BatchItem } from './execute.ts';
import {
  contactByEmail,
  flushDeferred,
  loadContext,
  type PersonSyncDeps,
  promoteDuplicate,
} from './person.ts';

export async function settleAddresses(
  deps: PersonSyncDeps,
  run: { companyId: number; runId: number },
  emails: readonly string[],
): Promise<SyncAction['kind'][]> {
  // Null when the connection is not active (an initial run before activation moves no pair).
  const ctx = await loadContext(deps, run.companyId);
  if (!ctx) return [];
  const kinds: SyncAction['kind'][] = [];
  const deferred: BatchItem[] = [];
  // Whether a person is in the chosen filters: the scan just read them (staged, in_rule).
  const inRuleOf = async (personId: number) =>
    (
      await deps.db
        .selectFrom('sync_stage_persons')
        .select('in_rule')
        .where('run_id', '=', run.runId)
        .where('person_id', '=', personId)
        .executeTakeFirst()
    )?.in_rule;
  for (const email of emails) {
    kinds.push(...(await promoteDuplicate(deps, ctx, email, null, deferred, inRuleOf)));
    const contact = await contactByEmail(ctx.clients, email);
    if (!contact) continue;
    const linked = await deps.db
      .selectFrom('links')
      .select('id')
      .where('connection_id', '=', ctx.connectionId)
      .where('contact_id', '=', contact.contact_id)
      .executeTakeFirst();
    if (!linked) kinds.push(...(await syncContact(deps, ctx, contact)));
  }
  await flushDeferred(deps, ctx, deferred);
  return kinds.filter((kind) => kind !== 'nothing');
}
