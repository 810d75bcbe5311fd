/**
 * Benchmark of the Constant Contact fake: loads 1M contacts into one account, then measures
 * contact list/get throughput over loopback HTTP with rate limits off.
 *   npx tsx bench/fake-constant-contact.ts [--contacts 1000000] [--requests 20000] [--concurrency 32]
 * Prints a table: phase, requests, seconds, req/s, RSS MB.
 */
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { createConstantContactFake } from '../test/fakes/constant-contact/server.ts';

const { values } = parseArgs({
  options: {
    contacts: { type: 'string', default: '1000000' },
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '32' },
  },
});
const CONTACTS = Number(values.contacts);
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const ACCOUNT = 'a07e1empty001';

const rssMb = (): number => Math.round(process.memoryUsage().rss / 1024 / 1024);
const rows: Array<{
  phase: string;
  requests: number;
  seconds: number;
  perSecond: number;
  rssMb: number;
}> = [];

const fake = createConstantContactFake({
  seed: 'empty',
  rateLimits: { enabled: false },
  apps: [{ clientId: 'bench', clientSecret: 'bench', redirectUri: 'http://127.0.0.1/cb' }],
  logCapacity: 100_000,
});

const t = performance.now();
fake.control.loadContacts(ACCOUNT, CONTACTS);
rows.push({
  phase: `load ${CONTACTS.toLocaleString('en')} contacts`,
  requests: 0,
  seconds: (performance.now() - t) / 1000,
  perSecond: 0,
  rssMb: rssMb(),
});

const base = await fake.listen(0);
const port = Number(new URL(base).port);
const token = fake.control.mintToken({ clientId: 'bench', accountId: ACCOUNT }).access_token;
const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const order = fake.store.account(ACCOUNT).order;

function get(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

async function run(phase: string, pathFor: (i: number) => string): Promise<void> {
  let next = 0;
  let failures = 0;
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (next < REQUESTS) {
      const i = next++;
      if ((await get(pathFor(i))) !== 200) failures++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  if (failures > 0) throw new Error(`${phase}: ${failures} non-200 responses`);
  rows.push({ phase, requests: REQUESTS, seconds, perSecond: REQUESTS / seconds, rssMb: rssMb() });
}

// Deep pages too: the cursor is a position, so page 10,000 costs what page 1 costs.
const cursorAt = (position: number): string =>
  Buffer.from(JSON.stringify({ p: position, q: { limit: '50' } })).toString('base64url');
const stride = Math.max(1, Math.floor(order.length / REQUESTS));

await run(
  'GET /v3/contacts/{id}',
  (i) => `/v3/contacts/${order[(i * stride) % order.length]?.contact_id}`,
);
await run(
  'GET /v3/contacts?limit=50 (cursor pages)',
  (i) => `/v3/contacts?cursor=${cursorAt((i * stride * 50) % order.length)}`,
);
await run(
  'GET /v3/contacts?email=',
  (i) => `/v3/contacts?email=bulk${(i * stride) % order.length}@load.example.com`,
);
await run('mixed list/get', (i) =>
  i % 2
    ? `/v3/contacts/${order[(i * stride) % order.length]?.contact_id}`
    : '/v3/contacts?limit=50',
);

agent.destroy();
await fake.close();

const table = [
  ['phase', 'requests', 'seconds', 'req/s', 'RSS MB'],
  ...rows.map((r) => [
    r.phase,
    r.requests ? String(r.requests) : '-',
    r.seconds.toFixed(2),
    r.perSecond ? Math.round(r.perSecond).toString() : '-',
    String(r.rssMb),
  ]),
];
const widths =
  table[0]?.map((_, c) => Math.max(...table.map((row) => (row[c] ?? '').length))) ?? [];
for (const row of table) {
  process.stdout.write(
    `${row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ')}\n`,
  );
}
