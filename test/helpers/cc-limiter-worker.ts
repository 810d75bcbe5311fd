/**
 * A separate process for the limiter test: its own pg pool and limiter, sending `count`
 * requests to the CC fake. Prints one JSON line `{ ok, budget, failed, grants }` and exits.
 * Usage: node --import tsx test/helpers/cc-limiter-worker.ts <json options>
 */

import { createCcLimiter } from '../../server/api/cc-limiter.ts';
import { isApiError } from '../../server/api/errors.ts';
import { createDatabase } from '../../server/db/database.ts';

interface Options {
  databaseUrl: string;
  baseUrl: string;
  token: string;
  clientId: string;
  account: string;
  count: number;
  perSecond: number;
  perDay: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as Options;
const db = createDatabase(options.databaseUrl, { max: 2 });
const limiter = createCcLimiter(db, {
  clientId: options.clientId,
  perSecond: options.perSecond,
  perDay: options.perDay,
});
const result = { ok: 0, budget: 0, failed: 0, grants: [] as number[] };
await Promise.all(
  Array.from({ length: options.count }, async () => {
    try {
      result.grants.push(
        (await limiter.acquire({ account: options.account, priority: 'interactive' })).grantedAt,
      );
    } catch (error) {
      if (isApiError(error) && error.kind === 'budget') result.budget++;
      else result.failed++;
      return;
    }
    const res = await fetch(`${options.baseUrl}/v3/contact_lists`, {
      headers: { authorization: `Bearer ${options.token}` },
    });
    await res.arrayBuffer();
    if (res.ok) result.ok++;
    else result.failed++;
  }),
);
await db.destroy();
process.stdout.write(`${JSON.stringify(result)}\n`);
