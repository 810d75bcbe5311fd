/**
 * The settings page's ETA while an initial sync runs (issue 6): the status route derives it
 * from the API budgets, so a day's budget used up pushes it past midnight. The run is held in
 * its writing phase by the CC fake's import, which completes only when the test lets it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nextUtcMidnight } from '../../server/api/errors.ts';
import { signPanelJwt } from '../../server/pipedrive/jwt.ts';
import type { TestApp } from '../helpers/app.ts';
import { startConnectedApp, toCcSettings } from '../helpers/connected-app.ts';
import type { SyncWorld } from '../helpers/sync-world.ts';

let world: SyncWorld;
let t: TestApp;
let companyId: number;

beforeAll(async () => {
  ({ world, t, companyId } = await startConnectedApp('eta', toCcSettings));
});

afterAll(async () => {
  await t.close();
  await world.close();
});

const status = async () =>
  (
    await t.app.inject({
      method: 'GET',
      url: '/api/sync/status',
      headers: {
        authorization: `Bearer ${signPanelJwt({ companyId, userId: 1 }, world.apps.pd.secret)}`,
      },
    })
  ).json();

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('initial sync ETA', () => {
  it('comes from the calls left and the budgets, waits for tomorrow when today’s is spent, and ends with the run', async () => {
    // Imports stay queued until the test runs them.
    world.cc.control.setActivityDelay(3_600_000);
    const activate = await t.app.inject({
      method: 'POST',
      url: '/api/sync/activate',
      headers: {
        authorization: `Bearer ${signPanelJwt({ companyId, userId: 1 }, world.apps.pd.secret)}`,
      },
    });
    expect(activate.statusCode).toBe(200);
    const writing = await waitFor(status, (s) => s.lastRun?.phase === 'writing');
    expect(writing.lastRun.status).toBe('running');
    // Budgets untouched: what is left (the import's activity, read-backs, status fields) fits
    // in today's budgets, well before midnight.
    const eta = writing.lastRun.etaSeconds as number;
    expect(eta).toBeGreaterThan(0);
    const toMidnight = (nextUtcMidnight(Date.now()) - Date.now()) / 1000;
    expect(eta).toBeLessThan(Math.min(toMidnight, 600));

    // Pipedrive writes that run beside the held import go out first: met by the worker, the
    // spent budget below would move the run itself to tomorrow (a CI run under load did so).
    await waitFor(
      async () => world.pd.log.all().at(-1)?.at ?? 0,
      (last) => Date.now() - last > 1_500,
    );

    // The app's share of the company's Pipedrive budget spent for today: the Pipedrive writes
    // left wait for tomorrow's.
    const day = new Date(nextUtcMidnight(Date.now()) - 86_400_000);
    await t.database.db
      .insertInto('api_budget')
      .values({ provider: 'pipedrive', key: String(companyId), window_start: day, used: 1e9 })
      .onConflict((oc) =>
        oc.columns(['provider', 'key', 'window_start']).doUpdateSet({ used: 1e9 }),
      )
      .execute();
    const spent = (await status()).lastRun;
    expect(spent.status).toBe('running');
    expect(spent.etaSeconds).toBeGreaterThanOrEqual(
      (nextUtcMidnight(Date.now()) - Date.now()) / 1000 - 1,
    );
    await t.database.db
      .deleteFrom('api_budget')
      .where('provider', '=', 'pipedrive')
      .where('key', '=', String(companyId))
      .where('window_start', '=', day)
      .execute();

    world.cc.control.runActivities();
    const done = await waitFor(status, (s) => s.lastRun?.status !== 'running');
    expect(done.lastRun.status).toBe('completed');
    expect(done.lastRun.etaSeconds).toBeNull();
  });
});
