/**
 * The process: read config, open the database (embedded when DATABASE_URL is unset), migrate,
 * start pg-boss, serve HTTP and/or run workers, and shut down gracefully on SIGINT/SIGTERM:
 * stop taking requests, let requests and jobs in flight finish, close the pools, and stop the
 * embedded PostgreSQL last.
 *
 *   npm start          web + workers in one process (the default, and the demo)
 *   npm run web        HTTP only (scale out: many of these and many workers on one Postgres)
 *   npm run worker     jobs only
 */
import type { FastifyInstance } from 'fastify';
import { PgBoss } from 'pg-boss';
import { createApis } from './apis.ts';
import { buildApp } from './app.ts';
import { ConfigError, loadConfig } from './config.ts';
import { demoEncryptionKeys, Keyring } from './crypto.ts';
import { createDatabase } from './db/database.ts';
import { freePort } from './db/embedded.ts';
import { migrate } from './db/migrate.ts';
import { openPostgresServer } from './db/server.ts';
import { classifyJobError } from './jobs/classify.ts';
import { prune } from './jobs/prune.ts';
import {
  batched,
  connectionJobKey,
  declareQueues,
  engagementJobKey,
  enqueue,
  registerWorkers,
} from './jobs/queues.ts';
import { checkWebhooks } from './jobs/webhooks-check.ts';
import { createLogger } from './log.ts';
import { collectContact, dueEngagementPolls, pollEngagement } from './sync/engagement/poll.ts';
import { duePolls, pollConstantContact } from './sync/engine/cc-poll.ts';
import { initialSyncJob } from './sync/engine/initial.ts';
import { recordJobGivenUp, syncPersons } from './sync/engine/person.ts';
import { dueScans } from './sync/engine/scan.ts';
import { startRun } from './sync/runs.ts';

type Role = 'all' | 'web' | 'worker';

function parseRole(argv: string[]): Role {
  const flag = argv.find((a) => a.startsWith('--role='))?.slice('--role='.length) ?? 'all';
  if (flag === 'all' || flag === 'web' || flag === 'worker') return flag;
  console.error(`Unknown --role=${flag}. Use --role=web, --role=worker, or no flag for both.`);
  process.exit(1);
}

const role = parseRole(process.argv.slice(2));

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

const logger = createLogger({ level: config.logLevel, name: role });
const lifecycle = { shuttingDown: false };
const cleanup: (() => Promise<void>)[] = [];

async function shutdown(reason: string, exitCode: number): Promise<void> {
  if (lifecycle.shuttingDown) return;
  lifecycle.shuttingDown = true;
  logger.info({ reason }, 'shutting down: finishing requests and jobs in flight');
  const deadline = setTimeout(() => {
    logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown timed out; exiting now');
    process.exit(1);
  }, config.shutdownTimeoutMs + 5_000);
  deadline.unref();
  for (const step of cleanup.reverse()) {
    try {
      await step();
    } catch (error) {
      logger.error({ err: error }, 'shutdown step failed');
    }
  }
  logger.info('stopped');
  process.exit(exitCode);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (lifecycle.shuttingDown) {
      logger.warn(`second ${signal}: exiting without waiting`);
      process.exit(1);
    }
    void shutdown(signal, 0);
  });
}

try {
  const postgres = await openPostgresServer({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    log: (message, level = 'debug') => logger[level]({ postgres: message }),
  });
  cleanup.push(postgres.stop);
  logger.info(
    {
      database: postgres.embedded ? `embedded, data in ${config.dataDir}/postgres` : 'DATABASE_URL',
    },
    'database open',
  );

  const applied = await migrate(postgres.url, { log: (m) => logger.info(m) });
  logger.info({ applied: applied.length }, 'migrations up to date');

  const db = createDatabase(postgres.url, {
    onError: (error) => logger.warn({ err: error }, 'idle database connection lost'),
  });
  cleanup.push(() => db.destroy());

  const keyring = new Keyring(
    config.encryptionKeys.length > 0 ? config.encryptionKeys : demoEncryptionKeys(config.dataDir),
  );

  const worker = role !== 'web';
  const boss = new PgBoss({ connectionString: postgres.url, schedule: worker, supervise: worker });
  boss.on('error', (error) => logger.error({ err: error }, 'job queue error'));
  await boss.start();
  cleanup.push(() => boss.stop({ graceful: true, timeout: config.shutdownTimeoutMs }));
  await declareQueues(boss);

  // OAuth callback URLs are fixed when the app is built, so the port must be known first.
  const port = config.port === 0 ? await freePort() : config.port;
  const publicUrl = config.publicUrl ?? `http://${config.host}:${port}`;

  // --- Demo mode (no Pipedrive credentials): both fakes in-process, the app's OAuth clients
  // pointed at them, a host page at /demo. Loaded on demand so production never imports it.
  const demo =
    config.demo && role !== 'worker'
      ? await (await import('./demo/index.ts')).startDemo(config, publicUrl)
      : undefined;
  if (demo) {
    cleanup.push(demo.stop);
    config = demo.config;
  }
  // --- end demo mode

  const apis = createApis(db, config, keyring);

  let app: FastifyInstance | undefined;
  if (role !== 'worker') {
    app = await buildApp({ config, db, boss, logger, lifecycle, keyring, publicUrl, apis });
    const server = app;
    if (demo) await demo.routes(server);
    cleanup.push(() => server.close());
    try {
      await server.listen({ host: config.host, port });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new Error(`Port ${port} on ${config.host} is in use. Set PORT to a free port.`);
      }
      throw error;
    }
    if (demo) {
      const installed = await demo.completeInstall(db);
      logger.info(
        {
          pipedriveFake: demo.pipedriveUrl,
          constantContactFake: demo.constantContactUrl,
          ...installed,
        },
        'demo: installed in the Pipedrive fake and connected to the Constant Contact fake',
      );
      // The demo's campaigns reach the persons' panels within seconds of the first sync, not at
      // the next scheduled engagement poll (up to a minute later).
      const connection = await db
        .selectFrom('connections')
        .select('id')
        .where('company_id', '=', installed.companyId)
        .executeTakeFirst();
      if (connection)
        await enqueue(
          boss,
          'engagement.poll',
          { connectionId: connection.id },
          { singletonKey: engagementJobKey(connection.id), startAfter: 8 },
        );
    }
  }

  if (worker) {
    await registerWorkers(
      boss,
      {
        'sync.initial': (payload, job) => initialSyncJob({ db, apis, logger }, payload, job),
        'pipedrive.person-changed': batched(async (payloads, jobs) => {
          try {
            await syncPersons({ db, apis, logger }, payloads);
          } catch (error) {
            // On its last try, or when retrying cannot help, each person shows the error.
            const outcome = classifyJobError(error, Date.now());
            for (const [i, job] of jobs.entries()) {
              const last = (job.retryCount ?? 0) >= (job.retryLimit ?? 0);
              const payload = payloads[i];
              if (payload && (outcome.kind === 'stop' || (outcome.kind === 'retry' && last)))
                await recordJobGivenUp({ db, apis, logger }, payload, error);
            }
            throw error;
          }
        }),
        'cc.poll': async (payload) => {
          const polled = await pollConstantContact({ db, apis, logger }, payload);
          if (polled.contacts > 0)
            logger.info({ ...payload, ...polled }, 'polled Constant Contact');
        },
        'cc.poll-due': async () => {
          for (const connectionId of await duePolls(db, Date.now(), config.budgets.ccPerDay)) {
            await enqueue(
              boss,
              'cc.poll',
              { connectionId },
              { singletonKey: connectionJobKey(connectionId) },
            );
          }
        },
        'engagement.poll': async (payload) => {
          const polled = await pollEngagement({ db, apis, logger }, payload);
          if (polled && (polled.read > 0 || (polled.recorded?.recorded ?? 0) > 0))
            logger.info({ ...payload, ...polled }, 'engagement polled');
        },
        'engagement.poll-due': async () => {
          for (const connectionId of await dueEngagementPolls(
            db,
            Date.now(),
            config.budgets.ccPerDay,
          )) {
            await enqueue(
              boss,
              'engagement.poll',
              { connectionId },
              { singletonKey: engagementJobKey(connectionId) },
            );
          }
        },
        'engagement.contact': async (payload) => {
          if ((await collectContact({ db, apis, logger }, payload)) > 0) {
            await enqueue(
              boss,
              'engagement.poll',
              { connectionId: payload.connectionId, collect: false },
              { singletonKey: engagementJobKey(payload.connectionId) },
            );
          }
        },
        'sync.scan-due': async () => {
          for (const connectionId of await dueScans(db, Date.now(), config.budgets)) {
            const runId = await startRun(db, boss, connectionId, 'scan');
            logger.info({ connectionId, runId }, 'started a scheduled scan');
          }
        },
        'pipedrive.webhooks-check': async () => {
          logger.info(
            { companies: await checkWebhooks({ db, keyring, config, apis, publicUrl }) },
            'webhooks checked',
          );
        },
        'maintenance.prune': async (payload) => {
          logger.info(await prune(db, payload), 'pruned old history');
        },
      },
      { concurrency: config.workerConcurrency, logger },
    );
  }

  const address = app?.server.address();
  const url =
    address && typeof address === 'object' ? `http://${config.host}:${address.port}` : undefined;
  logger.info(
    { role, url, demo: config.demo },
    config.demo ? 'ready (no Pipedrive credentials configured: demo mode)' : 'ready',
  );
  // The one URL to open in demo mode, on stdout so it stands out from the JSON log.
  if (demo) console.log(demo.banner());
} catch (error) {
  logger.fatal({ err: error }, error instanceof Error ? error.message : 'start failed');
  await shutdown('start failed', 1);
}
