/**
 * `npm start` with no credentials, as a user runs it: both fakes start, the app installs and
 * connects itself through the real OAuth flows, prints the one URL to open, serves the host
 * page and the extension; and a restart on the same (persisted) database heals the install
 * the in-memory fakes forgot.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createDatabase, dropDatabase } from '../../server/db/server.ts';
import type { SessionResponse } from '../../server/http/routes/panel.ts';
import type { StatusResponse } from '../../server/http/routes/sync.ts';
import { emptyDatabaseName, serverUrl } from '../helpers/database.ts';
import { isAlive, spawnApp } from '../helpers/process.ts';

const started: { child: { pid?: number; kill(s?: NodeJS.Signals): boolean } }[] = [];
const databases: string[] = [];

afterAll(async () => {
  for (const p of started) if (p.child.pid && isAlive(p.child.pid)) p.child.kill('SIGKILL');
  for (const name of databases) await dropDatabase(serverUrl(), name);
});

async function startDemo(databaseUrl: string) {
  const p = spawnApp([], { LOG_LEVEL: 'info', PORT: '0', DATABASE_URL: databaseUrl });
  started.push(p);
  const { url } = await p.ready;
  return { p, url: url as string };
}

async function panelGet<T>(url: string, path: string): Promise<T> {
  const { token } = (await (await fetch(`${url}/demo/api/token`)).json()) as { token: string };
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  expect(response.status).toBe(200);
  return (await response.json()) as T;
}

const session = (url: string) => panelGet<SessionResponse>(url, '/api/session');

/** The demo activates the sync itself: wait for its initial sync to finish. */
async function syncedStatus(url: string): Promise<StatusResponse> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const status = await panelGet<StatusResponse>(url, '/api/sync/status');
    if (status.lastRun?.status === 'completed' || Date.now() > deadline) return status;
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('demo mode', () => {
  it('starts, installs and connects itself, serves /demo; a restart reinstalls idempotently', async () => {
    const name = emptyDatabaseName();
    databases.push(name);
    const databaseUrl = await createDatabase(serverUrl(), name);

    const first = await startDemo(databaseUrl);
    await expect.poll(() => first.p.output()).toContain(`Demo ready: open ${first.url}/demo`);
    const page = await fetch(`${first.url}/demo`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Demo Pipedrive');
    expect((await fetch(`${first.url}/extension/settings.html`)).status).toBe(200);
    const before = await session(first.url);
    expect(before.constantContact).toMatchObject({
      connected: true,
      accountName: expect.any(String),
    });
    expect(before.webhooks.status).toBe('ok');
    const synced = await syncedStatus(first.url);
    expect(synced.status).toBe('active');
    expect(synced.lastRun?.kind).toBe('initial');
    expect(synced.contactsInSync).toBeGreaterThan(50);

    first.p.child.kill('SIGTERM');
    expect((await first.p.exited).code).toBe(0);

    const restartedAt = new Date();
    const second = await startDemo(databaseUrl);
    const after = await session(second.url);
    expect(after.companyId).toBe(before.companyId);
    expect(after.constantContact).toMatchObject({
      connected: true,
      accountName: (before.constantContact as { accountName: string }).accountName,
    });
    expect(after.webhooks.status).toBe('ok');
    // The fakes started over: the demo's sync ran again on them, to the same result.
    const again = await syncedStatus(second.url);
    expect(again.status).toBe('active');
    expect(again.contactsInSync).toBe(synced.contactsInSync);

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    const counts = await client.query<{ installations: number; connections: number }>(
      `SELECT (SELECT count(*)::int FROM installations) AS installations,
              (SELECT count(*)::int FROM connections) AS connections`,
    );
    await client.end();
    expect(counts.rows[0]).toEqual({ installations: 1, connections: 1 });
    // The restarted fakes forgot the first run's activities: the demo's engagement is recorded
    // again on them (one poll queued right after the first sync).
    await expect
      .poll(
        async () => {
          const c = new pg.Client({ connectionString: databaseUrl });
          await c.connect();
          const { rows } = await c.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM engagement_seen
             WHERE state = 'recorded' AND recorded_at > $1`,
            [restartedAt],
          );
          await c.end();
          return rows[0]?.n ?? 0;
        },
        { timeout: 40_000, interval: 500 },
      )
      .toBeGreaterThan(0);

    second.p.child.kill('SIGTERM');
    expect((await second.p.exited).code).toBe(0);
  }, 150_000);
});
