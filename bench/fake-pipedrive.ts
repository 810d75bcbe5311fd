/**
 * Benchmark of the Pipedrive fake: seeds one company with 1M persons, then measures person
 * list/get throughput over loopback HTTP (rate limits off, since the point is the fake's own
 * speed). Prints one table. Run: npx tsx bench/fake-pipedrive.ts [persons] [seconds]
 */
import http from 'node:http';
import { createPipedriveFake } from '../test/fakes/pipedrive/server.ts';

const persons = Number(process.argv[2] ?? 1_000_000);
const seconds = Number(process.argv[3] ?? 5);
const concurrency = 32;

const rssMb = () => Math.round(process.memoryUsage().rss / 1024 / 1024);
const rows: Array<{ step: string; requests: number; seconds: number; rps: number; rssMb: number }> =
  [];

let t = performance.now();
const fake = createPipedriveFake({
  seed: {
    seed: 'bench',
    companies: [
      { name: 'Bench Co', plan: 'ultimate', seats: 50, users: 4, persons, organizations: 100 },
    ],
  },
  rateLimits: { enabled: false },
});
const seedSeconds = (performance.now() - t) / 1000;
rows.push({
  step: `seed ${persons.toLocaleString('en')} persons`,
  requests: 0,
  seconds: seedSeconds,
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
const headers = { authorization: `Bearer ${token}` };
const maxId = Math.max(...fake.control.company(companyId).personIds.slice(-1));

// node:http with a keep-alive agent: the client shares this process with the fake, and
// fetch (undici) costs about twice as much CPU per request as the fake itself.
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const { port } = new URL(baseUrl);

function get(path: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`${path} → ${res.statusCode}`));
          else resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        });
      })
      .on('error', reject);
  });
}

/** Runs `next` from `concurrency` workers for `seconds`; returns the request count. */
async function load(
  step: string,
  next: (worker: number, i: number) => Promise<unknown>,
): Promise<void> {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let count = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        await next(w, i);
        count++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  rows.push({ step, requests: count, seconds: elapsed, rps: count / elapsed, rssMb: rssMb() });
}

await load('GET /api/v2/persons/{id}', (w, i) =>
  get(`/api/v2/persons/${1 + ((w * 7919 + i * 104_729) % maxId)}`),
);

const cursors: Array<string | undefined> = Array.from({ length: concurrency }, () => undefined);
await load('GET /api/v2/persons?limit=100 (cursor)', async (w) => {
  const page = (await get(
    `/api/v2/persons?limit=100${cursors[w] ? `&cursor=${cursors[w]}` : ''}`,
  )) as {
    additional_data: { next_cursor: string | null };
  };
  cursors[w] = page.additional_data.next_cursor ?? undefined;
});

await load('mixed list(limit=100)/get 1:9', async (w, i) => {
  if (i % 10 === 0)
    return get(`/api/v2/persons?limit=100&sort_by=update_time&updated_since=2025-01-01T00:00:00Z`);
  return get(`/api/v2/persons/${1 + ((w * 31 + i * 7877) % maxId)}`);
});

t = performance.now();
const found = (await get(
  '/api/v2/persons/search?term=ada.tamm.0%40example.com&fields=email&exact_match=true',
)) as { data: { items: unknown[] } };
rows.push({
  step: `exact email search (${found.data.items.length} hit)`,
  requests: 1,
  seconds: (performance.now() - t) / 1000,
  rps: 0,
  rssMb: rssMb(),
});

agent.destroy();
await fake.close();
console.log('| step | requests | seconds | req/s | RSS MB |');
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.step} | ${r.requests} | ${r.seconds.toFixed(2)} | ${r.rps ? Math.round(r.rps) : '-'} | ${r.rssMb} |`,
  );
}
