/**
 * A worker process for the engagement crash test: polls one connection's engagement until
 * nothing is left to read or record, so a test can SIGKILL it half-way and start another.
 */
import { createApis } from '../../server/apis.ts';
import { loadConfig } from '../../server/config.ts';
import { Keyring } from '../../server/crypto.ts';
import { createDatabase } from '../../server/db/database.ts';
import { createLogger } from '../../server/log.ts';
import { pollEngagement } from '../../server/sync/engagement/poll.ts';

const env = process.env as Record<string, string>;
const config = loadConfig(env);
const db = createDatabase(env.DATABASE_URL as string, { max: 4 });
const deps = {
  db,
  apis: createApis(db, config, new Keyring(config.encryptionKeys)),
  logger: createLogger({ level: 'silent' }),
};
for (;;) {
  const result = await pollEngagement(deps, { connectionId: Number(env.CONNECTION_ID) });
  if (!result || result.caughtUp) break;
}
await db.destroy();
