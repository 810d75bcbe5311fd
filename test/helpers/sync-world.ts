/**
 * Both fakes with one registered OAuth app each, and the environment that points the app at
 * them: the common ground of the sync engine's tests and benchmarks.
 */
import { randomBytes } from 'node:crypto';
import { createApis } from '../../server/apis.ts';
import { loadConfig } from '../../server/config.ts';
import type { Keyring } from '../../server/crypto.ts';
import type { Database } from '../../server/db/database.ts';
import { createLogger } from '../../server/log.ts';
import { type InitialSyncDeps, runInitialSync } from '../../server/sync/engine/initial.ts';
import { type ConnectionSettings, connectionSettings } from '../../server/sync/settings.ts';
import { DEMO_ACCOUNT_ID } from '../fakes/constant-contact/demo.ts';
import {
  type ConstantContactFake,
  type ConstantContactFakeOptions,
  createConstantContactFake,
} from '../fakes/constant-contact/server.ts';
import {
  createPipedriveFake,
  type PipedriveFake,
  type PipedriveFakeOptions,
} from '../fakes/pipedrive/server.ts';
import { connectCompany } from './connected.ts';

export interface SyncWorld {
  pd: PipedriveFake;
  cc: ConstantContactFake;
  apps: { pd: { id: string; secret: string }; cc: { id: string; secret: string } };
  /** The app's environment for these fakes (loadConfig input); `overrides` win. */
  env(overrides?: Record<string, string>): Record<string, string>;
  close(): Promise<void>;
}

export async function startSyncWorld(options: {
  name: string;
  pipedrive?: Omit<PipedriveFakeOptions, 'apps'>;
  constantContact?: Omit<ConstantContactFakeOptions, 'apps'>;
  redirectBase?: string;
  /** Runs before the fakes listen: the last moment Fastify accepts hooks (the simulation's). */
  beforeListen?: (fakes: { pd: PipedriveFake; cc: ConstantContactFake }) => void;
}): Promise<SyncWorld> {
  const apps = {
    pd: { id: `pd-${options.name}`, secret: `pd-${options.name}-secret-0123456789` },
    cc: { id: `cc-${options.name}`, secret: `cc-${options.name}-secret-0123456789` },
  };
  const base = options.redirectBase ?? 'http://127.0.0.1:1';
  const pd = createPipedriveFake({
    seed: 'demo',
    ...options.pipedrive,
    apps: [
      {
        clientId: apps.pd.id,
        clientSecret: apps.pd.secret,
        redirectUri: `${base}/auth/pipedrive/callback`,
      },
    ],
  });
  const cc = createConstantContactFake({
    seed: 'demo',
    ...options.constantContact,
    apps: [
      {
        clientId: apps.cc.id,
        clientSecret: apps.cc.secret,
        redirectUri: `${base}/auth/constant-contact/callback`,
      },
    ],
  });
  options.beforeListen?.({ pd, cc });
  await pd.listen(0);
  await cc.listen(0);
  return {
    pd,
    cc,
    apps,
    env: (overrides = {}) => ({
      PIPEDRIVE_CLIENT_ID: apps.pd.id,
      PIPEDRIVE_CLIENT_SECRET: apps.pd.secret,
      PIPEDRIVE_OAUTH_URL: pd.baseUrl,
      PIPEDRIVE_BUDGET_SHARE: '1',
      CC_CLIENT_ID: apps.cc.id,
      CC_CLIENT_SECRET: apps.cc.secret,
      CC_OAUTH_URL: cc.baseUrl,
      CC_API_URL: cc.baseUrl,
      CC_REQUESTS_PER_SECOND: '1000',
      CC_REQUESTS_PER_DAY: '1000000',
      PUBLIC_URL: base,
      ENCRYPTION_KEYS: `t:${randomBytes(32).toString('base64')}`,
      ...overrides,
    }),
    close: async () => {
      await pd.close();
      await cc.close();
    },
  };
}

/** The id of the first company the Pipedrive fake seeded. */
export function firstCompanyId(world: SyncWorld): number {
  const companyId = [...world.pd.store.companies.keys()][0];
  if (companyId === undefined) throw new Error('the Pipedrive fake seeded no company');
  return companyId;
}

/** What the engine needs to run against the world's fakes, with a silent log and no waits. */
export function engineDeps(
  db: Database,
  world: SyncWorld,
  keyring: Keyring,
  env: Record<string, string> = {},
): InitialSyncDeps {
  return {
    db,
    apis: createApis(db, loadConfig(world.env(env)), keyring),
    logger: createLogger({ level: 'silent' }),
    sleep: async () => {},
  };
}

/**
 * Empty fakes without rate limits, holding one company with no people and one CC account
 * with a list `<accountId>-target` (twoWaySettings' target list): for tests that make the
 * few records they need.
 */
export async function startEmptyWorld(
  name: string,
  accountId: string,
): Promise<{ world: SyncWorld; companyId: number }> {
  const world = await startSyncWorld({
    name,
    pipedrive: { seed: 'empty', rateLimits: { enabled: false } },
    constantContact: { seed: 'empty', rateLimits: { enabled: false } },
  });
  const [store] = world.pd.control.seed({
    seed: name,
    companies: [{ name: `${name} Co`, persons: 0, organizations: 0 }],
  });
  if (!store) throw new Error('the Pipedrive fake seeded no company');
  world.cc.control.addAccount({ accountId });
  const now = Date.now();
  const list = `${accountId}-target`;
  world.cc.store.account(accountId).lists.set(list, {
    list_id: list,
    name: 'target',
    favorite: false,
    createdAt: now,
    updatedAt: now,
  });
  return { world, companyId: store.company.id };
}

/**
 * Fakes without rate limits holding one company of `persons` generated people numbered from
 * `personOffset`, and one CC account (list "All") whose contacts are the generated people
 * numbered `ccPeople[0]` up to `ccPeople[1]`: the overlap of the two ranges is on both sides.
 */
export async function startSeededWorld(input: {
  name: string;
  companyName: string;
  persons: number;
  organizations: number;
  personOffset: number;
  accountId: string;
  ccPeople: [number, number];
  organizationName?: string;
}): Promise<{ world: SyncWorld; companyId: number }> {
  const world = await startSyncWorld({
    name: input.name,
    pipedrive: {
      seed: {
        seed: input.name,
        companies: [
          {
            name: input.companyName,
            persons: input.persons,
            organizations: input.organizations,
            personOffset: input.personOffset,
          },
        ],
      },
      rateLimits: { enabled: false },
    },
    constantContact: {
      seed: {
        accounts: [
          {
            accountId: input.accountId,
            organizationName: input.organizationName,
            lists: ['All'],
            demoPeople: input.ccPeople,
          },
        ],
      },
      rateLimits: { enabled: false },
    },
  });
  const companyId = firstCompanyId(world);
  return { world, companyId };
}

/**
 * Two-way settings over everyone on both sides for the demo accounts: new contacts on the CC
 * account's first list, new persons owned by the company's first user, Pipedrive wins.
 */
export function twoWaySettings(
  world: SyncWorld,
  companyId: number,
  ccAccountId: string,
  mapping: ConnectionSettings['mapping'],
): ConnectionSettings {
  return connectionSettings.parse({
    direction: 'two_way',
    pipedriveSource: { kind: 'all' },
    ccSource: { kind: 'all' },
    targetListIds: [[...world.cc.store.account(ccAccountId).lists.values()][0]?.list_id],
    newPersonOwnerId: [...(world.pd.store.company(companyId)?.users.keys() ?? [])][0],
    conflictWinner: 'pipedrive',
    mapping,
  });
}

/**
 * The demo fakes (Constant Contact without rate limits) with the demo company connected to the
 * demo account two-way over everyone (twoWaySettings with `mapping`) and its initial sync run:
 * for tests of what happens after the initial sync. `beforeSync` changes the fakes first.
 */
export async function startDemoSync(
  db: Database,
  keyring: Keyring,
  input: {
    name: string;
    mapping: ConnectionSettings['mapping'];
    beforeSync?: (world: SyncWorld, companyId: number) => void;
  },
): Promise<{ world: SyncWorld; companyId: number; connectionId: number }> {
  const world = await startSyncWorld({
    name: input.name,
    constantContact: { rateLimits: { enabled: false } },
  });
  const companyId = firstCompanyId(world);
  input.beforeSync?.(world, companyId);
  const { connectionId } = await connectAndSync(db, keyring, world, {
    companyId,
    ccAccountId: DEMO_ACCOUNT_ID,
    settings: twoWaySettings(world, companyId, DEMO_ACCOUNT_ID, input.mapping),
  });
  return { world, companyId, connectionId };
}

/** Connects the company (connectCompany) and runs its initial sync to the end. */
export async function connectAndSync(
  db: Database,
  keyring: Keyring,
  world: SyncWorld,
  input: {
    companyId: number;
    ccAccountId: string;
    settings: ConnectionSettings;
    env?: Record<string, string>;
  },
): Promise<{ connectionId: number }> {
  const { connectionId } = await connectCompany({ db, keyring, world, ...input });
  await runSync(db, keyring, world, { connectionId, kind: 'initial', env: input.env });
  return { connectionId };
}

/**
 * One run of the initial-sync engine over a connected company, to the end, as the worker
 * runs it: a scheduled scan by default, or `dry_run` to see what would still be written.
 */
export async function runSync(
  db: Database,
  keyring: Keyring,
  world: SyncWorld,
  input: {
    connectionId: number;
    kind?: 'initial' | 'scan' | 'dry_run';
    env?: Record<string, string>;
  },
): ReturnType<typeof runInitialSync> {
  const kind = input.kind ?? 'scan';
  const run = await db
    .insertInto('sync_runs')
    .values({ connection_id: input.connectionId, kind })
    .returning('id')
    .executeTakeFirstOrThrow();
  return runInitialSync(engineDeps(db, world, keyring, input.env), {
    connectionId: input.connectionId,
    runId: run.id,
    dryRun: kind === 'dry_run',
  });
}

/** The connection's link of a person (undefined when it has none). */
export function linkRow(db: Database, connectionId: number, personId: number) {
  return linkWhere(db, connectionId, 'person_id', personId);
}

/** The connection's link of a contact (undefined when it has none). */
export function contactLinkRow(db: Database, connectionId: number, contactId: string) {
  return linkWhere(db, connectionId, 'contact_id', contactId);
}

function linkWhere(
  db: Database,
  connectionId: number,
  column: 'person_id' | 'contact_id',
  value: number | string,
) {
  return db
    .selectFrom('links')
    .selectAll()
    .where('connection_id', '=', connectionId)
    .where(column, '=', value)
    .executeTakeFirst();
}

/** The codes of a person's open errors on the connection. */
export async function openErrorCodes(
  db: Database,
  connectionId: number,
  personId: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('contact_errors')
    .select('code')
    .where('connection_id', '=', connectionId)
    .where('person_id', '=', personId)
    .where('resolved_at', 'is', null)
    .execute();
  return rows.map((e) => e.code);
}

/** A mapping row both ways between a person field and a CC standard field of the same name. */
export function sameNameRow(
  field: 'first_name' | 'last_name' | 'job_title',
): ConnectionSettings['mapping'][number] {
  return {
    pipedrive: { entity: 'person', key: field },
    cc: { kind: 'standard', field },
    direction: 'both',
  };
}
