/**
 * Both fakes for bench/initial-sync.ts, in a child process of their own so their CPU and memory
 * do not count against the engine under measurement. Started with `fork` (tsx loader); takes
 * the `startSyncWorld` options as JSON in argv[2] and answers the parent's requests over IPC:
 * `info` (apps, URLs, environment, the seeded company, list and owner), `connect` (tokens for
 * one company and CC account, as connectCompany mints them), `clear` and `count` (the fakes'
 * request logs), `rss`, `close`.
 */
import { ccOAuth } from '../../server/constant-contact/provider.ts';
import { startSyncWorld } from '../../test/helpers/sync-world.ts';

export type FakeWorldRequest =
  | { id: number; op: 'info'; ccAccountId: string }
  | { id: number; op: 'connect'; companyId: number; ccAccountId: string }
  | { id: number; op: 'clear' }
  | { id: number; op: 'count' }
  | { id: number; op: 'rss' }
  | { id: number; op: 'close' };

const world = await startSyncWorld(JSON.parse(process.argv[2] ?? '{}'));
const { pd, cc, apps } = world;

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);

function answer(request: FakeWorldRequest): unknown {
  switch (request.op) {
    case 'info': {
      const companyId = [...pd.store.companies.keys()][0] as number;
      return {
        apps,
        pdBaseUrl: pd.baseUrl,
        env: world.env(),
        companyId,
        listId: [...cc.store.account(request.ccAccountId).lists.values()][0]?.list_id,
        ownerId: [...(pd.store.company(companyId)?.users.keys() ?? [])][0],
      };
    }
    case 'connect': {
      const pdToken = pd.control.mintToken({ companyId: request.companyId, clientId: apps.pd.id });
      cc.control.approveAs(request.ccAccountId);
      const ccToken = cc.control.mintToken({
        clientId: apps.cc.id,
        accountId: request.ccAccountId,
        scopes: [...ccOAuth.requiredScopes],
      });
      return { pdToken, ccToken };
    }
    case 'clear':
      pd.log.clear();
      cc.log.clear();
      peakRss = process.memoryUsage().rss;
      return null;
    case 'count':
      return {
        cc: cc.log.all().filter((r) => r.path.startsWith('/v3/')).length,
        pd: pd.log.all().filter((r) => r.path.includes('/api/') || r.path.startsWith('/v1/'))
          .length,
        throttled: [...cc.log.all(), ...pd.log.all()].filter((r) => r.status === 429).length,
        // Calls per second of the run on each side (--verbose): where the run waited.
        timeline: {
          cc: perSecond(cc.log.all().filter((r) => r.path.startsWith('/v3/'))),
          pd: perSecond(pd.log.all().filter((r) => r.path.includes('/api/'))),
        },
        paths: tally(
          [...cc.log.all(), ...pd.log.all()].map(
            (r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}|\d+/g, ':id')}`,
          ),
        ),
      };
    case 'rss':
      return { rss: process.memoryUsage().rss, peak: peakRss };
    case 'close':
      clearInterval(sampler);
      return null;
  }
}

function perSecond(entries: readonly { at: number }[]): number[] {
  const first = Math.min(...[...cc.log.all(), ...pd.log.all()].map((r) => r.at));
  const seconds: number[] = [];
  for (const e of entries) {
    const s = Math.floor((e.at - first) / 1000);
    seconds[s] = (seconds[s] ?? 0) + 1;
  }
  return Array.from(seconds, (n) => n ?? 0);
}

function tally(keys: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

process.on('message', async (request: FakeWorldRequest) => {
  const result = answer(request);
  process.send?.({ id: request.id, result });
  if (request.op === 'close') {
    await world.close();
    process.disconnect();
  }
});
process.send?.({ id: 0, result: 'ready' });
