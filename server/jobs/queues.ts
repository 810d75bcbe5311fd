/**
 * Every job queue in one table: its name, payload schema, pg-boss policy and schedule. Workers
 * are registered from here (registerWorkers) and jobs are sent through `enqueue`, which checks
 * the payload against the same schema, so a queue cannot receive what its worker cannot read.
 *
 * pg-boss facts (../shared/reference/stack.md §8): queue names match [\w.\-/]+; handlers get
 * arrays; a deduplicated send returns null; the first cron run may fire at once.
 */
import type { Job, JobWithMetadata, PgBoss, Queue, SendOptions } from 'pg-boss';
import { z } from 'zod';
import type { Logger } from '../log.ts';
import { classifyJobError } from './classify.ts';

export interface QueueDefinition<S extends z.ZodType> {
  payload: S;
  options: Omit<Queue, 'name'>;
  /** Cron (UTC) for scheduled queues. */
  schedule?: string;
  /** Jobs wait this long before running, so a burst for one key collapses into one job. */
  coalesceSeconds?: number;
  /** How workers fetch: pg-boss defaults to one job per 2 s poll per worker. */
  fetch?: { batchSize: number; pollingIntervalSeconds: number };
}

const define = <S extends z.ZodType>(definition: QueueDefinition<S>) => definition;

export const queues = {
  /**
   * The initial (historical) sync of a connection, its dry-run, or "Sync now" (a `scan` run
   * of the same reconciliation): the run's progress and
   * result live in `sync_runs` (runId). One per connection at a time (singletonKey
   * `connection:<id>`); resumable, so a retry after a crash continues from the checkpoint.
   */
  'sync.initial': define({
    payload: z.object({
      connectionId: z.number().int().positive(),
      runId: z.number().int().positive(),
      dryRun: z.boolean(),
    }),
    options: {
      policy: 'stately',
      retryLimit: 10,
      retryDelay: 30,
      retryBackoff: true,
      retryDelayMax: 900,
      expireInSeconds: 4 * 3600,
    },
  }),
  /**
   * A Pipedrive person was created, changed, deleted or merged (from the webhook receiver).
   * `stately` + a per-person singletonKey: at most one queued and one running per person, so
   * bursts coalesce and one person is never synced by two workers at once. The job carries
   * the first payload only (pg-boss keeps it), so the worker re-reads the person.
   */
  'pipedrive.person-changed': define({
    payload: z.object({
      companyId: z.number().int().positive(),
      personId: z.number().int().positive(),
    }),
    options: {
      policy: 'stately',
      retryLimit: 5,
      retryDelay: 5,
      retryBackoff: true,
      retryDelayMax: 300,
    },
    coalesceSeconds: 2,
    // pg-boss's default (1 job per 2 s per worker) caps a worker near 4 persons/s; changes
    // arrive at tens per second, so fetch in batches and poll often (bench/latency).
    fetch: { batchSize: 10, pollingIntervalSeconds: 0.5 },
  }),
  /** Constant Contact → Pipedrive: one poll of one connection's changed contacts. */
  'cc.poll': define({
    payload: z.object({ connectionId: z.number().int().positive() }),
    options: {
      policy: 'stately',
      retryLimit: 3,
      retryDelay: 30,
      retryBackoff: true,
      retryDelayMax: 600,
    },
  }),
  /** Every minute: queue the polls that are due (the interval follows the CC budget). */
  'cc.poll-due': define({
    payload: z.object({}),
    options: { policy: 'singleton', retryLimit: 1, retryDelay: 30 },
    schedule: '* * * * *',
  }),
  /**
   * Email engagement of one connection (issue 9): read new tracking events from CC on the
   * engagement priority, then record them on the persons. `collect: false` only records (after
   * a panel's per-contact read). One per connection at a time (`engagementJobKey`): it is the
   * only writer of the connection's engagement entries, which exactly-once relies on.
   */
  'engagement.poll': define({
    payload: z.object({
      connectionId: z.number().int().positive(),
      collect: z.boolean().default(true),
    }),
    options: {
      policy: 'stately',
      retryLimit: 5,
      retryDelay: 60,
      retryBackoff: true,
      retryDelayMax: 1800,
    },
  }),
  /** Every minute: queue the engagement polls that are due (interval from the engagement share). */
  'engagement.poll-due': define({
    payload: z.object({}),
    options: { policy: 'singleton', retryLimit: 1, retryDelay: 30 },
    schedule: '* * * * *',
  }),
  /** A rep opened a linked person's panel: read that contact's own engagement report. */
  'engagement.contact': define({
    payload: z.object({
      connectionId: z.number().int().positive(),
      contactId: z.string().min(1),
    }),
    options: { policy: 'stately', retryLimit: 1, retryDelay: 30 },
  }),
  /**
   * Every five minutes: start the full scans that are due (filter and list membership, CC
   * deletes; engine/scan.ts). The interval follows both budgets and the account's size.
   */
  'sync.scan-due': define({
    payload: z.object({}),
    options: { policy: 'singleton', retryLimit: 1, retryDelay: 60 },
    schedule: '*/5 * * * *',
  }),
  /**
   * Pipedrive bans, then deletes, webhooks whose deliveries fail (pipedrive-api.md §7.6), so
   * each company's webhook is checked and recreated if gone. Every 30 minutes.
   */
  'pipedrive.webhooks-check': define({
    payload: z.object({}),
    options: { policy: 'singleton', retryLimit: 2, retryDelay: 60 },
    schedule: '*/30 * * * *',
  }),
  /** Deletes history past its retention and errors resolved long ago. Daily. */
  'maintenance.prune': define({
    payload: z.object({
      eventRetentionDays: z.number().int().positive().default(180),
      resolvedErrorRetentionDays: z.number().int().positive().default(30),
    }),
    options: { policy: 'singleton', retryLimit: 3, retryDelay: 60, retryBackoff: true },
    schedule: '17 3 * * *',
  }),
} as const;

export type QueueName = keyof typeof queues;
export type Payload<N extends QueueName> = z.output<(typeof queues)[N]['payload']>;
export type PayloadInput<N extends QueueName> = z.input<(typeof queues)[N]['payload']>;
/** The singleton key that keeps one run or scan per connection at a time. */
export function connectionJobKey(connectionId: number): string {
  return `connection:${connectionId}`;
}

/** The singleton key of a connection's engagement poll: one recorder per connection. */
export function engagementJobKey(connectionId: number): string {
  return `engagement:${connectionId}`;
}

/** The singleton key that serialises and coalesces work for one person of one company. */
export function personJobKey(companyId: number, personId: number): string {
  return `person:${companyId}:${personId}`;
}

/**
 * Handlers by queue. A queue without a handler in this build is declared (so it can receive
 * jobs) but not worked: the sync engine's workers are registered as they are built.
 */
export type Handlers = Partial<{
  [N in QueueName]:
    | ((payload: Payload<N>, job: Job<unknown>) => Promise<void>)
    | BatchHandler<Payload<N>>;
}>;

/** A handler that takes every job a fetch brought at once (see `batched`). */
export interface BatchHandler<P> {
  batch: (payloads: P[], jobs: JobWithMetadata<unknown>[]) => Promise<void>;
}

/**
 * Marks a handler as taking the fetched jobs together, so work can be shared between them (the
 * person jobs send their Constant Contact updates in one import). It must be safe to run again
 * for all of them: on a transient failure the whole batch is retried.
 */
export function batched<P>(
  batch: (payloads: P[], jobs: JobWithMetadata<unknown>[]) => Promise<void>,
) {
  return { batch } satisfies BatchHandler<P>;
}

/** Creates every queue (idempotent). Run by every process that sends or works. */
export async function declareQueues(boss: PgBoss): Promise<void> {
  for (const [name, definition] of Object.entries(queues)) {
    await boss.createQueue(name, definition.options);
  }
}

export async function enqueue<N extends QueueName>(
  boss: PgBoss,
  name: N,
  payload: PayloadInput<N>,
  options: SendOptions = {},
): Promise<string | null> {
  const data = queues[name].payload.parse(payload) as object;
  return boss.send(name, data, options);
}

/** Starts a worker per queue and the schedules. Only worker processes call this. */
export async function registerWorkers(
  boss: PgBoss,
  handlers: Handlers,
  options: { concurrency: number; logger: Logger; now?: () => number },
): Promise<void> {
  const now = options.now ?? Date.now;
  for (const [name, definition] of Object.entries(queues) as [
    QueueName,
    QueueDefinition<z.ZodType>,
  ][]) {
    const handler = handlers[name] as
      | ((payload: unknown, job: Job<unknown>) => Promise<void>)
      | BatchHandler<unknown>
      | undefined;
    if (!handler) continue;
    /** Runs `work` for `jobs`; a failure retrying cannot mend is logged or deferred, not thrown. */
    const settle = async (jobs: JobWithMetadata<unknown>[], work: () => Promise<void>) => {
      try {
        await work();
      } catch (error) {
        const outcome = classifyJobError(error, now());
        if (outcome.kind === 'retry') throw error;
        for (const job of jobs) {
          const log = { queue: name, jobId: job.id, err: error };
          if (outcome.kind === 'stop') {
            options.logger.warn(
              { ...log, reason: outcome.reason },
              'job stopped: retrying cannot help',
            );
          } else {
            // pg-boss keeps the first payload of a key; a deferred run must re-read state anyway.
            await boss.send(name, job.data as object, {
              startAfter: new Date(outcome.untilMs),
              ...(job.singletonKey ? { singletonKey: job.singletonKey } : {}),
            });
            options.logger.info(
              { ...log, until: new Date(outcome.untilMs).toISOString() },
              'job deferred',
            );
          }
        }
      }
    };
    await boss.work(
      name,
      { localConcurrency: options.concurrency, includeMetadata: true, ...definition.fetch },
      async (jobs) => {
        if (typeof handler === 'object') {
          const payloads = jobs.map((job) => definition.payload.parse(job.data));
          await settle(jobs, () => handler.batch(payloads, jobs));
          return;
        }
        for (const job of jobs)
          await settle([job], () => handler(definition.payload.parse(job.data), job));
      },
    );
    if (definition.schedule) {
      await boss.schedule(name, definition.schedule, {}, { tz: 'UTC' });
    }
  }
}
