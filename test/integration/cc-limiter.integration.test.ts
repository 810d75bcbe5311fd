/**
 * The Constant Contact limiter across processes, measured where it matters: the CC fake's own
 * request log (real 4/s and a scaled-down daily cap on the fake too, so a slip shows as 429).
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCcLimiter } from '../../server/api/cc-limiter.ts';
import type { CcPriority } from '../../server/api/cc-policy.ts';
import { isApiError } from '../../server/api/errors.ts';
import { createDatabase, type Database } from '../../server/db/database.ts';
import {
  type ConstantContactFake,
  createConstantContactFake,
} from '../fakes/constant-contact/server.ts';
import { freshDatabase, type TestDatabase } from '../helpers/database.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const APP = {
  clientId: 'limiter-app',
  clientSecret: 'limiter-secret',
  redirectUri: 'http://127.0.0.1:9/cb',
};

let tdb: TestDatabase;
let fake: ConstantContactFake;
const pools: Database[] = [];

beforeAll(async () => {
  tdb = await freshDatabase();
  fake = createConstantContactFake({ seed: 'empty', apps: [APP], rateLimits: { perDay: 1_000 } });
  await fake.listen(0);
  for (const accountId of ['acct-a', 'acct-b', 'acct-c']) fake.control.addAccount({ accountId });
});
afterAll(async () => {
  await Promise.all(pools.map((p) => p.destroy()));
  await fake?.close();
  await tdb?.drop();
});

function pool(): Database {
  const db = createDatabase(tdb.url, { max: 3 });
  pools.push(db);
  return db;
}

/** Most requests the log shows in any window of `ms` starting at a logged request. */
function maxInWindow(times: readonly number[], ms: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let max = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while ((sorted[j] ?? 0) <= (sorted[i] ?? 0) - ms) j++;
    max = Math.max(max, i - j + 1);
  }
  return max;
}

async function send(token: string): Promise<number> {
  const res = await fetch(`${fake.baseUrl}/v3/contact_lists`, {
    headers: { authorization: `Bearer ${token}` },
  });
  await res.arrayBuffer();
  return res.status;
}

describe('CC limiter shared through Postgres', () => {
  it('keeps three limiter instances (three pools) under 4/s and the daily cap, by the fake log', async () => {
    const clientId = APP.clientId;
    const perDay = 24;
    fake.control.setRateLimits({ perDay });
    fake.control.clearRequests();
    const tokens = ['acct-a', 'acct-b', 'acct-c'].map(
      (accountId) => fake.control.mintToken({ clientId, accountId }).access_token,
    );
    const limiters = tokens.map(() => createCcLimiter(pool(), { clientId, perSecond: 4, perDay }));
    const outcomes = await Promise.all(
      limiters.flatMap((limiter, i) =>
        Array.from({ length: 10 }, async () => {
          try {
            await limiter.acquire({ account: `acct-${i}`, priority: 'interactive' });
          } catch (error) {
            if (isApiError(error) && error.kind === 'budget') return 'budget';
            throw error;
          }
          return send(tokens[i] ?? '');
        }),
      ),
    );
    const log = fake.control.requests().filter((r) => r.path === '/v3/contact_lists');
    expect(outcomes.filter((o) => o === 200)).toHaveLength(perDay);
    expect(outcomes.filter((o) => o === 'budget')).toHaveLength(30 - perDay);
    expect(log.map((r) => r.status)).toEqual(Array(perDay).fill(200));
    const max = maxInWindow(
      log.map((r) => r.at),
      1_000,
    );
    expect(max).toBeLessThanOrEqual(4);
    console.info(`3 pools: ${log.length} requests, max ${max} in any 1 s window`);
  });

  it('keeps real child processes and this one together under 4/s', async () => {
    const clientId = 'limiter-app-procs';
    fake.control.registerApp({ clientId, clientSecret: 's', redirectUris: [APP.redirectUri] });
    fake.control.setRateLimits({ perDay: 1_000 });
    fake.control.clearRequests();
    const token = fake.control.mintToken({ clientId, accountId: 'acct-a' }).access_token;
    const options = {
      databaseUrl: tdb.url,
      baseUrl: fake.baseUrl,
      token,
      clientId,
      account: 'acct-a',
      count: 5,
      perSecond: 4,
      perDay: 1_000,
    };
    const child = () =>
      new Promise<{ ok: number; budget: number; failed: number; grants: number[] }>(
        (done, fail) => {
          const p = spawn(
            process.execPath,
            ['--import', 'tsx', 'test/helpers/cc-limiter-worker.ts', JSON.stringify(options)],
            { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
          );
          let out = '';
          let err = '';
          p.stdout.on('data', (c: Buffer) => {
            out += c.toString();
          });
          p.stderr.on('data', (c: Buffer) => {
            err += c.toString();
          });
          p.on('exit', (code) =>
            code === 0 ? done(JSON.parse(out.trim())) : fail(new Error(`child ${code}: ${err}`)),
          );
        },
      );
    const here = createCcLimiter(pool(), { clientId, perSecond: 4, perDay: 1_000 });
    const grants: number[] = [];
    const [a, b, local] = await Promise.all([
      child(),
      child(),
      Promise.all(
        Array.from({ length: 5 }, async () => {
          grants.push(
            (await here.acquire({ account: 'acct-b', priority: 'continuous' })).grantedAt,
          );
          return send(token);
        }),
      ),
    ]);
    expect(a).toMatchObject({ ok: 5, budget: 0, failed: 0 });
    expect(b).toMatchObject({ ok: 5, budget: 0, failed: 0 });
    expect(local).toEqual(Array(5).fill(200));
    const log = fake.control.requests().filter((r) => r.clientId === clientId);
    expect(log).toHaveLength(15);
    expect(log.every((r) => r.status === 200)).toBe(true);
    const max = maxInWindow(
      log.map((r) => r.at),
      1_000,
    );
    expect(max).toBeLessThanOrEqual(4);
    const allGrants = [...a.grants, ...b.grants, ...grants].sort((x, y) => x - y);
    const arrivals = log.map((r) => r.at).sort((x, y) => x - y);
    console.info(
      `2 child processes + 1: ${log.length} requests, max ${max} in any 1 s window; ` +
        `grants max ${maxInWindow(allGrants, 1_000)} per 1 s; ` +
        `grant→arrival delay (sorted pairs) max ${Math.max(...arrivals.map((t, i) => t - (allGrants[i] ?? t)))} ms`,
    );
  });

  it('serves a waiting higher priority before a lower one that was there first', async () => {
    const limiter = createCcLimiter(pool(), { clientId: 'prio-app', perSecond: 10, perDay: 1_000 });
    const other = createCcLimiter(pool(), { clientId: 'prio-app', perSecond: 10, perDay: 1_000 });
    await Promise.all(
      Array.from({ length: 10 }, () =>
        limiter.acquire({ account: 'warm', priority: 'interactive' }),
      ),
    );
    const order: string[] = [];
    const run = (l: typeof limiter, account: string, priority: CcPriority, tag: string) =>
      l.acquire({ account, priority }).then(() => {
        order.push(tag);
      });
    // Both groups wait for the window (full until the warm-up grants age out, 1.25 s); the
    // low ones registered first.
    const low = Array.from({ length: 14 }, (_, i) => run(limiter, 'a', 'engagement', `e${i}`));
    await new Promise((r) => setTimeout(r, 50));
    const high = Array.from({ length: 4 }, (_, i) => run(other, 'b', 'interactive', `i${i}`));
    await Promise.all([...low, ...high]);
    expect(order.slice(0, 4).sort()).toEqual(['i0', 'i1', 'i2', 'i3']);
  });

  it('shares slots fairly between accounts at the same priority', async () => {
    const limiter = createCcLimiter(pool(), { clientId: 'fair-app', perSecond: 10, perDay: 1_000 });
    // Fill the window first, so every call below has to wait and the order is the limiter's.
    await Promise.all(
      Array.from({ length: 10 }, () =>
        limiter.acquire({ account: 'warm', priority: 'continuous' }),
      ),
    );
    const order: string[] = [];
    const run = (account: string, tag: string) =>
      limiter.acquire({ account, priority: 'continuous' }).then(() => {
        order.push(tag);
      });
    const big = Array.from({ length: 12 }, (_, i) => run('big', `big${i}`));
    await new Promise((r) => setTimeout(r, 20));
    const small = Array.from({ length: 3 }, (_, i) => run('small', `small${i}`));
    await Promise.all([...big, ...small]);
    const lastSmall = Math.max(...['small0', 'small1', 'small2'].map((t) => order.indexOf(t)));
    // Round robin: small's 3 calls interleave with big's (at most 6th of 15) instead of
    // coming after all 12 of big's (13th–15th) as first-come-first-served would have it.
    expect(lastSmall).toBeLessThanOrEqual(6);
  });

  it('ignores the waiting-room row of a process that died', async () => {
    const db = pool();
    // A higher-priority waiter whose process stopped refreshing its row 10 s ago.
    await db
      .insertInto('api_waiters')
      .values({
        app_key: 'stale-app',
        account: 'ghost',
        priority: 'interactive',
        enqueued_at: new Date(Date.now() - 10_000),
        seen_at: new Date(Date.now() - 10_000),
      })
      .execute();
    const limiter = createCcLimiter(db, { clientId: 'stale-app', perSecond: 4, perDay: 100 });
    const started = Date.now();
    await limiter.acquire({ account: 'alive', priority: 'engagement' });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('stops a priority at its daily share and leaves the rest for higher ones', async () => {
    const limiter = createCcLimiter(pool(), { clientId: 'share-app', perSecond: 50, perDay: 20 });
    let engagement = 0;
    let refused: unknown;
    for (let i = 0; i < 5; i++) {
      try {
        await limiter.acquire({ account: 'a', priority: 'engagement' });
        engagement++;
      } catch (error) {
        refused = error;
        break;
      }
    }
    expect(engagement).toBe(3); // 15 % of 20
    expect(refused).toMatchObject({ kind: 'budget', provider: 'constant_contact' });
    await limiter.acquire({ account: 'a', priority: 'interactive' });
  });
});
