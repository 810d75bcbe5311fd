/** `npm run migrate`: apply pending migrations to DATABASE_URL (or the embedded database). */
import { loadConfig } from '../config.ts';
import { migrate } from './migrate.ts';
import { openPostgresServer } from './server.ts';

const config = loadConfig(process.env);
const server = await openPostgresServer({
  databaseUrl: config.databaseUrl,
  dataDir: config.dataDir,
  log: (message, level) => {
    if (level === 'info') console.log(message);
  },
});
try {
  const applied = await migrate(server.url, { log: console.log });
  console.log(applied.length ? `applied ${applied.length} migration(s)` : 'already up to date');
} finally {
  await server.stop();
}
