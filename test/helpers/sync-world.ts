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
import type { InitialSyncDeps } from '../../server/sync/engine/initial.ts';
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
  await pd.listen(0);
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
