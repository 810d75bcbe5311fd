/**
 * The request log of a fake: what was called, by whom, with what outcome. Tests and
 * benchmarks measure API spend from it (calls per contact, requests per second under the
 * limiter) instead of trusting the app's own counters.
 */
import type { FastifyInstance } from 'fastify';
import type { FakeClock } from './clock.ts';

export interface LoggedRequest {
  at: number;
  method: string;
  path: string;
  query: string;
  status: number;
  /** Tenant the call was made for (Pipedrive company id, CC account id), when known. */
  tenant?: string;
  /** OAuth client the call was made with, when known. */
  clientId?: string;
}

export class RequestLog {
  private entries: LoggedRequest[] = [];

  constructor(
    private readonly clock: FakeClock,
    /** Oldest entries are dropped past this, so a long benchmark cannot exhaust memory. */
    private readonly capacity = 1_000_000,
  ) {}

  all(): readonly LoggedRequest[] {
    return this.entries;
  }

  clear(): void {
    this.entries = [];
  }

  /** Installs an `onResponse` hook; `identify` reads tenant and client set by the auth layer. */
  install(
    app: FastifyInstance,
    identify: (request: unknown) => Pick<LoggedRequest, 'tenant' | 'clientId'>,
  ): void {
    // `at` is when the request arrived, as the provider counts it for rate limits; stamping
    // the response instead lets latency push calls the fake accepted into one window.
    const arrived = new WeakMap<object, number>();
    app.addHook('onRequest', async (request) => {
      arrived.set(request, this.clock.now());
    });
    app.addHook('onResponse', async (request, reply) => {
      const [path = '', query = ''] = request.url.split('?');
      if (path.startsWith('/__fake/')) return;
      if (this.entries.length >= this.capacity) this.entries.shift();
      this.entries.push({
        at: arrived.get(request) ?? this.clock.now(),
        method: request.method,
        path,
        query,
        status: reply.statusCode,
        ...identify(request),
      });
    });
  }
}
