/**
 * Starting a run of the initial sync's reconciliation: the initial sync (Activate), its
 * dry-run, or a scan ("Sync now" and the scheduled scan, engine/scan.ts). The run's row is
 * written first, then its job; one job per connection at a time (the queue's singletonKey).
 */
import type { PgBoss } from 'pg-boss';
import type { Database } from '../db/database.ts';
import { connectionJobKey, enqueue } from '../jobs/queues.ts';

export type RunKind = 'initial' | 'dry_run' | 'scan';

export async function startRun(
  db: Database,
  boss: PgBoss,
  connectionId: number,
  kind: RunKind,
): Promise<number> {
  const run = await db
    .insertInto('sync_runs')
    .values({ connection_id: connectionId, kind })
    .returning('id')
    .executeTakeFirstOrThrow();
  await enqueue(
    boss,
    'sync.initial',
    { connectionId, runId: run.id, dryRun: kind === 'dry_run' },
    { singletonKey: connectionJobKey(connectionId) },
  );
  return run.id;
}
