/** Load generator for bench/webhooks.ts, in a worker thread: keep-alive POSTs, latency each.
 * Plain JavaScript: worker threads do not inherit the tsx loader on Node 20. */
import { Agent, request } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

const { url, authorization, bodies, concurrency } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
const target = new URL(url);
const latencies = [];
const statuses = {};
let next = 0;

function post(body) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization,
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - started);
          statuses[String(res.statusCode)] = (statuses[String(res.statusCode)] ?? 0) + 1;
          resolve();
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function lane() {
  while (next < bodies.length) {
    const body = bodies[next++];
    await post(body);
  }
}

const started = performance.now();
await Promise.all(Array.from({ length: concurrency }, lane));
parentPort?.postMessage({ seconds: (performance.now() - started) / 1000, latencies, statuses });
agent.destroy();
