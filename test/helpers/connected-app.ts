/**
 * The app (startTestApp) on the demo fakes, with the demo company connected to the demo CC
 * account (status `setup`, the settings given) and a pg-boss worker that runs `sync.initial`
 * jobs: the ground of the settings and sync routes' tests.
 */
import { registerWorkers } from '../../server/jobs/queues.ts';
import { createLogger } from '../../server/log.ts';
import { runInitialSync } from '../../server/sync/engine/initial.ts';
import type { ConnectionSettings } from '../../server/sync/settings.ts';
import { DEMO_ACCOUNT_ID } from '../fakes/constant-contact/demo.ts';
import { startTestApp, type TestApp } from './app.ts';
import { connectCompany } from './connected.ts';
import { firstCompanyId, type SyncWorld, startSyncWorld } from './sync-world.ts';

export async function startConnectedApp(
  name: string,
  /** The saved settings; the world is passed to build them from the demo accounts. */
  settingsOf: (world: SyncWorld, companyId: number) => ConnectionSettings,
): Promise<{ world: SyncWorld; t: TestApp; companyId: number }> {
  const world = await startSyncWorld({
    name,
    constantContact: { rateLimits: { enabled: false } },
  });
  const t = await startTestApp({ env: world.env() });
  const companyId = firstCompanyId(world);
  await connectCompany({
    db: t.database.db,
    keyring: t.keyring,
    world,
    companyId,
    ccAccountId: DEMO_ACCOUNT_ID,
    settings: settingsOf(world, companyId),
  });
  const logger = createLogger({ level: 'silent' });
  await registerWorkers(
    t.boss,
    {
      'sync.initial': async (payload) =>
        void (await runInitialSync({ db: t.database.db, apis: t.appDeps.apis, logger }, payload)),
    },
    { concurrency: 1, logger },
  );
  return { world, t, companyId };
}

/** One-way settings to CC over everyone, first name both ways, as a user would save them. */
export function toCcSettings(world: SyncWorld): ConnectionSettings {
  return {
    direction: 'to_cc',
    pipedriveSource: { kind: 'all' },
    ccSource: { kind: 'all' },
    targetListIds: [[...world.cc.store.account(DEMO_ACCOUNT_ID).lists.values()][0]!.list_id],
    conflictWinner: 'pipedrive',
    mapping: [
      {
        pipedrive: { entity: 'person', key: 'first_name' },
        cc: { kind: 'standard', field: 'first_name' },
        direction: 'both',
      },
    ],
  } as ConnectionSettings;
}
