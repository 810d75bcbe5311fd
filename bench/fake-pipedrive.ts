/**
 * Benchmark of the Pipedrive fake: seeds one company with 1M persons, then measures person
 * list/get throughput over loopback HTTP with rate limits off (the point is the fake's own
 * speed). The load generator runs in a worker thread so client and fake do not share one
 * event loop. Prints one table.
 *
 *   npx tsx bench/fake-pipedrive.ts [persons=1000000] [seconds=5]
 */
import { Worker } from 'node:worker_threads';
import { createPipedriveFake } from '../test/fakes/pipedrive/server.ts';
import { demoPerson } from '../test/fakes/shared/people.ts';

const persons = Number(process.argv[2] ?? 1_000_000);
const seconds = Number(process.argv[3] ?? 5);
const concurrency = 32;

const rssMb = () => Math.round(process.memoryUsage().rss / 1024 / 1024);
const rows: Array<{ step: string; requests: number; seconds: number; rps: number; rssMb: number }> =
  [];

const t0 = performance.now();
const fake = createPipedriveFake({
  seed: {
    seed: 'bench',
    companies: [
      { name: 'Bench Co', plan: 'ultimate', seats: 50, users: 4, persons, organizations: 100 },
    ],
  },
  rateLimits: { enabled: false },
});
rows.push({
  step: `seed ${persons.toLocaleString('en')} persons`,
  requests: 0,
  seconds: (performance.now() - t0) / 1000,
  rps: 0,
  rssMb: rssMb(),
});

const baseUrl = await fake.listen(0);
const companyId = fake.store.companies.keys().next().value ?? 1;
const token = fake.control.mintToken({
  companyId,
  clientId: null,
  scopes: ['contacts:full'],
}).access_token;
const maxId = fake.control.company(companyId).personIds.at(-1) ?? 1;

/**
 * The load generator, plain JavaScript so the worker needs no TypeScript loader: node:http with
 * a keep-alive agent, `concurrency` requests in flight, for `seconds`.
 */
const WORKER = `
const { parentPort, workerData: d } = require('node:worker_threads');
const http = require('node:http');
const agent = new http.Agent({ keepAlive: true, maxSockets: d.concurrency, noDelay: true });
const headers = { authorization: 'Bearer ' + d.token };
// The client does not JSON.parse list pages (about as costly as rendering them): it takes the
// cursor from the tail and counts persons, so the numbers measure the fake, not the client.
const get = (path) => new Promise((resolve, reject) => {
  http.get({ host: '127.0.0.1', port: d.port, path, headers, agent }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString('utf8')) : reject(new Error(path + ' ' + res.statusCode)));
  }).on('error', reject);
});
const count = (text, needle) => { let n = 0; for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) n++; return n; };
const byId = (w, i) => '/api/v2/persons/' + (1 + ((w * 7919 + i * 104729) % d.maxId));
(async () => {
  const start = performance.now();
  const deadline = start + d.seconds * 1000;
  let requests = 0;
  let listed = 0;
  await Promise.all(Array.from({ length: d.concurrency }, async (_, w) => {
    let cursor = null;
    for (let i = 0; performance.now() < deadline; i++) {
      if (d.kind === 'get' || (d.kind === 'mixed' && i % 10 !== 0)) {
        await get(byId(w, i));
      } else {
        const page = await get('/api/v2/persons?limit=100' + (cursor ? '&cursor=' + cursor : ''));
        listed += count(page, '"first_name":');
        cursor = /"next_cursor":"([^"]+)"/.exec(page.slice(-300))?.[1] ?? null;
      }
      requests++;
    }
  }));
  agent.destroy();
  parentPort.postMessage({ count: requests, listed, seconds: (performance.now() - start) / 1000 });
})();
`;

async function load(step: string, kind: 'get' | 'list' | 'mixed'): Promise<void> {
  const { port } = new URL(baseUrl);
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: { kind, port, token, maxId, seconds, concurrency },
  });
  const result = await new Promise<{ count: number; listed: number; seconds: number }>(
    (resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    },
  );
  await worker.terminate();
  const label = result.listed
    ? `${step} (${result.listed.toLocaleString('en')} persons listed)`
    : step;
  rows.push({
    step: label,
    requests: result.count,
    seconds: result.seconds,
    rps: result.count / result.seconds,
    rssMb: rssMb(),
  });
}

await load('GET /api/v2/persons/{id}', 'get');
await load('GET /api/v2/persons?limit=100, cursor paging', 'list');
await load('mixed: 1 list(limit=100) per 9 gets', 'mixed');

const email = demoPerson(0).email;
const t1 = performance.now();
const res = await fetch(
  `${baseUrl}/api/v2/persons/search?term=${encodeURIComponent(email)}&fields=email&exact_match=true`,
  {
    headers: { authorization: `Bearer ${token}` },
  },
);
const hits = ((await res.json()) as { data: { items: unknown[] } }).data.items.length;
rows.push({
  step: `exact email search (${hits} hit)`,
  requests: 1,
  seconds: (performance.now() - t1) / 1000,
  rps: 0,
  rssMb: rssMb(),
});

await fake.close();
console.log('| step | requests | seconds | req/s | RSS MB |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.step} | ${r.requests} | ${r.seconds.toFixed(2)} | ${r.rps ? Math.round(r.rps) : '-'} | ${r.rssMb} |`,
  );
}
