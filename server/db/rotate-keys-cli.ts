/** `npm run keys:rotate`: re-seal all secrets under the first key of ENCRYPTION_KEYS. */
import { ConfigError, loadConfig } from '../config.ts';
import { demoEncryptionKeys, Keyring } from '../crypto.ts';
import { createDatabase } from './database.ts';
import { migrate } from './migrate.ts';
import { rotateKeys } from './rotate-keys.ts';
import { openPostgresServer } from './server.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
const keys =
  config.encryptionKeys.length > 0 ? config.encryptionKeys : demoEncryptionKeys(config.dataDir);
const server = await openPostgresServer({
  databaseUrl: config.databaseUrl,
  dataDir: config.dataDir,
  log: () => {},
});
const db = createDatabase(server.url);
try {
  await migrate(server.url);
  const { resealed } = await rotateKeys(db, new Keyring(keys));
  console.log(
    `re-sealed ${resealed} value(s) under key "${keys[0]?.id}"; keys after it can be removed now`,
  );
} finally {
  await db.destroy();
  await server.stop();
}
