/**
 * Where the PostgreSQL server comes from: DATABASE_URL when set, otherwise the embedded one.
 * Also the few admin operations tests and tools need on that server (scratch databases).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres } from './embedded.ts';

export interface PostgresServer {
  /** Connection string of the database to use. */
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export async function openPostgresServer(options: {
  databaseUrl: string | undefined;
  dataDir: string;
  log: (message: string, level?: 'info' | 'debug') => void;
  ephemeral?: boolean;
}): Promise<PostgresServer> {
  if (options.databaseUrl) {
    return { url: options.databaseUrl, embedded: false, stop: async () => {} };
  }
  const server = await startEmbeddedPostgres(options);
  return { url: server.url, embedded: true, stop: server.stop };
}

/** The same server, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export function scratchName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

async function admin<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Creates `name` on the server of `url` (optionally as a copy of `template`); returns its URL. */
export async function createDatabase(
  url: string,
  name: string,
  template?: string,
): Promise<string> {
  await admin(url, (c) =>
    c.query(`CREATE DATABASE ${quote(name)}${template ? ` TEMPLATE ${quote(template)}` : ''}`),
  );
  return withDatabase(url, name);
}

export async function dropDatabase(url: string, name: string): Promise<void> {
  await admin(url, (c) => c.query(`DROP DATABASE IF EXISTS ${quote(name)} WITH (FORCE)`));
}
