/**
 * The process as a user runs it: bad config, the embedded PostgreSQL's whole life (start,
 * kill -9, restart, Ctrl-C), and web + workers starting together on one shared database.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, dropDatabase } from '../../server/db/server.ts';
import { emptyDatabaseName, serverUrl } from '../helpers/database.ts';
import { isAlive, spawnApp } from '../helpers/process.ts';

const started: { child: { pid?: number; kill(s?: NodeJS.Signals): boolean } }[] = [];
const databases: string[] = [];

afterAll(async () => {
  for (const p of started) if (p.child.pid && isAlive(p.child.pid)) p.child.kill('SIGKILL');
  for (const name of databases) await dropDatabase(serverUrl(), name);
});

function run(args: string[], env: Record<string, string | undefined>) {
  const p = spawnApp(args, { LOG_LEVEL: 'info', PORT: '0', ...env });
  started.push(p);
  return p;
}

function postmasterPid(dataDir: string): number | undefined {
  const file = join(dataDir, 'postgres', 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
}

describe('the process', () => {
  it('exits 1 listing every bad variable with its fix', async () => {
    const p = run([], { PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://db/app' });
    const { code } = await p.exited;
    expect(code).toBe(1);
    const out = p.output();
    expect(out).toContain('Invalid configuration (3 problems)');
    for (const variable of ['PORT', 'LOG_LEVEL', 'DATABASE_URL'])
      expect(out).toContain(`  ${variable} `);
    expect(out.match(/Fix: /g)).toHaveLength(3);
  });

  it('runs on the embedded PostgreSQL, survives kill -9, and stops it on Ctrl-C', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pdcc-proc-'));
    const env = { DATABASE_URL: undefined, DATA_DIR: dataDir };

    const first = run([], env);
    const { url } = await first.ready;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const orphan = postmasterPid(dataDir);
    expect(orphan).toBeDefined();

    first.child.kill('SIGKILL');
    await first.exited;
    expect(isAlive(orphan!)).toBe(true); // PostgreSQL outlives a killed parent…

    const second = run([], env); // …and the next start must cope with it.
    const again = await second.ready;
    expect((await fetch(`${again.url}/readyz`)).status).toBe(200);
    expect(isAlive(orphan!)).toBe(false);
    const owned = postmasterPid(dataDir);
    expect(owned).toBeDefined();

    second.child.kill('SIGINT');
    expect((await second.exited).code).toBe(0);
    expect(isAlive(owned!)).toBe(false);
    expect(postmasterPid(dataDir)).toBeUndefined();
    expect(second.output()).toContain('"msg":"stopped"');
  });

  it('starts one web and two workers at once on one database without racing', async () => {
    const name = emptyDatabaseName();
    databases.push(name);
    const url = await createDatabase(serverUrl(), name);
    const env = { DATABASE_URL: url };
    const processes = [
      run(['--role=web'], env),
      run(['--role=worker'], env),
      run(['--role=worker'], env),
    ];
    const readies = await Promise.all(processes.map((p) => p.ready));
    expect(readies.map((r) => r.role).sort()).toEqual(['web', 'worker', 'worker']);
    const web = readies.find((r) => r.role === 'web');
    expect((await fetch(`${web?.url}/readyz`)).status).toBe(200);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query('SELECT count(*)::int AS n FROM schema_migrations');
    await client.end();
    expect(rows[0].n).toBeGreaterThan(0);

    for (const p of processes) p.child.kill('SIGTERM');
    const exits = await Promise.all(processes.map((p) => p.exited));
    expect(exits.map((e) => e.code)).toEqual([0, 0, 0]);
  });
});
