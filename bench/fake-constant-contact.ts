/**
 * Benchmark of the Constant Contact fake: loads 1M contacts into one account, then measures
 * contact list/get throughput over loopback HTTP with rate limits off.
 *   npx tsx bench/fake-constant-contact.ts [--contacts 1000000] [--requests 20000]
 *     [--concurrency 32] [--inline]
 * By default the fake runs in a worker thread, so the load generator does not share its event
 * loop (as when the app calls a standalone fake); `--inline` runs both on one thread.
 * Prints a table: phase, requests, seconds, req/s, RSS MB (the whole process, fake included).
 */
import { Agent, request } from 'node:http';
import { parseArgs } from 'node:util';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { createConstantContactFake } from '../test/fakes/constant-contact/server.ts';

const ACCOUNT = 'a07e1empty001';

interface Ready {
  baseUrl: string;
  token: string;
  ids: string[];
  loadSeconds: number;
}

/** Starts the fake, loads the contacts, and reports what the load generator needs. */
async function serve(
  contacts: number,
  sample: number,
): Promise<{ ready: Ready; close: () => Promise<void> }> {
  const fake = createConstantContactFake({
    seed: 'empty',
    rateLimits: { enabled: false },
    apps: [{ clientId: 'bench', clientSecret: 'bench', redirectUri: 'http://127.0.0.1/cb' }],
    logCapacity: 100_000,
  });
  const t = performance.now();
  fake.control.loadContacts(ACCOUNT, contacts);
  const loadSeconds = (performance.now() - t) / 1000;
  const baseUrl = await fake.listen(0);
  const token = fake.control.mintToken({ clientId: 'bench', accountId: ACCOUNT }).access_token;
  const order = fake.store.account(ACCOUNT).order;
  const stride = Math.max(1, Math.floor(order.length / sample));
  const ids = Array.from(
    { length: sample },
    (_, i) => order[(i * stride) % order.length]?.contact_id ?? '',
  );
  return { ready: { baseUrl, token, ids, loadSeconds }, close: () => fake.close() };
}

if (!isMainThread) {
  const { contacts, sample } = workerData as { contacts: number; sample: number };
  const { ready, close } = await serve(contacts, sample);
  parentPort?.postMessage(ready);
  parentPort?.on('message', () => {
    void close().then(() => process.exit(0));
  });
} else {
  const { values } = parseArgs({
    options: {
      contacts: { type: 'string', default: '1000000' },
      requests: { type: 'string', default: '20000' },
      concurrency: { type: 'string', default: '32' },
      inline: { type: 'boolean', default: false },
    },
  });
  const CONTACTS = Number(values.contacts);
  const REQUESTS = Number(values.requests);
  const CONCURRENCY = Number(values.concurrency);
  const rssMb = (): number => Math.round(process.memoryUsage().rss / 1024 / 1024);
  const rows: Array<{
    phase: string;
    requests: number;
    seconds: number;
    perSecond: number;
    rssMb: number;
  }> = [];

  let ready: Ready;
  let stop: () => Promise<void>;
  if (values.inline) {
    const served = await serve(CONTACTS, REQUESTS);
    ready = served.ready;
    stop = served.close;
  } else {
    // Workers do not inherit tsx's module hooks: register them first, then load this file.
    const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const worker = new Worker(boot, {
      eval: true,
      workerData: { contacts: CONTACTS, sample: REQUESTS },
    });
    ready = await new Promise<Ready>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    stop = async () => {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.postMessage('stop');
      await exited;
    };
  }
  rows.push({
    phase: `load ${CONTACTS.toLocaleString('en')} contacts (${values.inline ? 'inline' : 'worker'})`,
    requests: 0,
    seconds: ready.loadSeconds,
    perSecond: 0,
    rssMb: rssMb(),
  });

  const port = Number(new URL(ready.baseUrl).port);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const get = (path: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          agent,
          headers: { authorization: `Bearer ${ready.token}` },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end();
    });

  const run = async (phase: string, pathFor: (i: number) => string): Promise<void> => {
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
    rows.push({
      phase,
      requests: REQUESTS,
      seconds,
      perSecond: REQUESTS / seconds,
      rssMb: rssMb(),
    });
  };

  // Deep pages too: the cursor is a position, so page 10,000 costs what page 1 costs.
  const cursorAt = (position: number): string =>
    Buffer.from(JSON.stringify({ p: position, q: { limit: '50' } })).toString('base64url');
  const stride = Math.max(1, Math.floor(CONTACTS / REQUESTS));
  const id = (i: number): string => ready.ids[i % ready.ids.length] ?? '';

  await run('GET /v3/contacts/{id}', (i) => `/v3/contacts/${id(i)}`);
  await run(
    'GET /v3/contacts?limit=50 (cursor pages)',
    (i) => `/v3/contacts?cursor=${cursorAt((i * stride * 50) % CONTACTS)}`,
  );
  await run(
    'GET /v3/contacts?email=',
    (i) => `/v3/contacts?email=bulk${(i * stride) % CONTACTS}@load.example.com`,
  );
  await run('mixed list/get', (i) => (i % 2 ? `/v3/contacts/${id(i)}` : '/v3/contacts?limit=50'));

  agent.destroy();
  await stop();

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
}
