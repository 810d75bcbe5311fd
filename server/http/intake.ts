/**
 * Group commit for webhook intake. Each delivery must be durable before we answer 200 (a 200
 * tells Pipedrive it may forget the event), but one transaction per delivery costs a WAL
 * flush each and caps intake at a few hundred per second. So deliveries arriving within a
 * couple of milliseconds share one transaction: one multi-row insert into webhook_events
 * (duplicates skipped by the unique key) and one pg-boss insert of their jobs, committed
 * together; then every waiting request is answered. A failed batch fails each of its
 * requests with a 5xx, which makes Pipedrive retry: nothing is acknowledged unless stored.
 */
import { fromKysely, type PgBoss } from 'pg-boss';
import type { Database } from '../db/database.ts';
import { personJobKey, queues } from '../jobs/queues.ts';

export interface IntakeEvent {
  companyId: number;
  eventId: string;
  action: string;
  entity: string;
  entityId: number;
  payload: unknown;
  /** Persons whose sync job this event should (re)start. */
  personIds: number[];
}

interface Waiting {
  event: IntakeEvent;
  resolve: (stored: boolean) => void;
  reject: (error: unknown) => void;
}

const MAX_BATCH = 200;
const MAX_WAIT_MS = 2;

export class IntakeBatcher {
  private waiting: Waiting[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly db: Database,
    private readonly boss: PgBoss,
  ) {}

  /** Resolves once the event is committed: true if stored now, false if it was a duplicate. */
  add(event: IntakeEvent): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ event, resolve, reject });
      if (this.waiting.length >= MAX_BATCH) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), MAX_WAIT_MS);
    });
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    if (batch.length > 0) void this.commit(batch);
  }

  private async commit(batch: Waiting[]): Promise<void> {
    // The same event twice in one batch: only the first may count as stored.
    const firsts = new Map<string, Waiting>();
    for (const w of batch) {
      const key = `${w.event.companyId}/${w.event.eventId}`;
      if (!firsts.has(key)) firsts.set(key, w);
    }
    try {
      const stored = await this.db.transaction().execute(async (trx) => {
        const rows = await trx
          .insertInto('webhook_events')
          .values(
            [...firsts.values()].map(({ event }) => ({
              company_id: event.companyId,
              event_id: event.eventId,
              action: event.action,
              entity: event.entity,
              entity_id: event.entityId,
              payload: JSON.stringify(event.payload),
            })),
          )
          .onConflict((oc) => oc.columns(['company_id', 'event_id']).doNothing())
          .returning(['company_id', 'event_id'])
          .execute();
        const inserted = new Set(rows.map((r) => `${r.company_id}/${r.event_id}`));
        const jobs = new Map<string, { companyId: number; personId: number }>();
        for (const [key, { event }] of firsts) {
          if (!inserted.has(key)) continue;
          for (const personId of event.personIds) {
            jobs.set(personJobKey(event.companyId, personId), {
              companyId: event.companyId,
              personId,
            });
          }
        }
        if (jobs.size > 0) {
          const definition = queues['pipedrive.person-changed'];
          await this.boss.insert(
            'pipedrive.person-changed',
            [...jobs].map(([singletonKey, data]) => ({
              data: definition.payload.parse(data),
              singletonKey,
              startAfter: definition.coalesceSeconds,
            })),
            { db: fromKysely(trx) },
          );
        }
        return inserted;
      });
      for (const w of batch) {
        const key = `${w.event.companyId}/${w.event.eventId}`;
        w.resolve(firsts.get(key) === w && stored.has(key));
      }
    } catch (error) {
      for (const w of batch) w.reject(error);
    }
  }
}
