/**
 * A worker process for crash tests: runs one initial sync against the fakes named in the
 * environment, so a test can SIGKILL it half-way and start another.
 */
import { createApis } from '../../server/apis.ts';
import { loadConfig } from '../../server/config.ts';
import { Keyring } from '../../server/crypto.ts';
import { createDatabase } from '../../server/db/database.ts';
import { createLogger } from '../../server/log.ts';
import { runInitialSync } from '../../server/sync/engine/initial.ts';

const env = process.env as Record<string, string>;
const config = loadConfig(env);
const db = createDatabase(env.DATABASE_URL as string, { max: 4 });
const keyring = new Keyring(config.encryptionKeys);
await runInitialSync(
  { db, apis: createApis(db, config, keyring), logger: createLogger({ level: 'silent' }) },
  {
    connectionId: Number(env.CONNECTION_ID),
    runId: Number(env.RUN_ID),
    dryRun: env.DRY_RUN === 'true',
  },
);
await db.destroy();
