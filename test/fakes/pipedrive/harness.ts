/**
 * Test harness for the Pipedrive fake's own suite: a started fake with a token, a small fetch
 * client that keeps status and headers, and a webhook receiver on loopback.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { createPipedriveFake, type PipedriveFake, type PipedriveFakeOptions } from './server.ts';

export const APP = {
  clientId: 'test-client',
  clientSecret: 'test-secret',
  redirectUri: 'http://127.0.0.1:9/callback',
};

export interface Started {
  fake: PipedriveFake;
  baseUrl: string;
  /** The admin's token; `call` reads it on every request, so a test may replace it. */
  token: string;
  companyId: number;
  call: (method: string, path: string, body?: unknown, token?: string) => Promise<CallResult>;
}

/** Parsed JSON a test reads field by field without declaring every shape. */
export interface Loose {
  readonly [key: string]: Loose;
  // Named keys are typed as present, so tests can read them under noUncheckedIndexedAccess.
  readonly data: Loose;
  readonly additional_data: Loose;
  readonly next_cursor: Loose;
  readonly id: Loose;
  readonly success: Loose;
  readonly error: Loose;
  readonly errorCode: Loose;
  readonly error_info: Loose;
  readonly meta: Loose;
  readonly previous: Loose;
  readonly items: Loose;
  readonly item: Loose;
  readonly emails: Loose;
  readonly phones: Loose;
  readonly name: Loose;
  readonly first_name: Loose;
  readonly last_name: Loose;
  readonly value: Loose;
  readonly status: Loose;
  readonly attempt: Loose;
  readonly action: Loose;
  readonly entity: Loose;
  readonly merged_to_id: Loose;
  readonly merged_from_id: Loose;
  readonly change_source: Loose;
  readonly entity_id: Loose;
  readonly custom_fields: Loose;
  readonly is_deleted: Loose;
  readonly company_id: Loose;
  readonly access_token: Loose;
  readonly refresh_token: Loose;
  readonly api_domain: Loose;
  readonly expires_in: Loose;
  readonly scope: Loose;
  readonly update_time: Loose;
  readonly errors: Loose;
  readonly conditions: Loose;
  readonly key_string: Loose;
  readonly person_id: Loose;
  readonly error_description: Loose;
  readonly webhook_id: Loose;
  readonly user_id: Loose;
}

/** An array-valued Loose as an array. */
export function list(value: Loose | undefined): Loose[] {
  if (!Array.isArray(value)) throw new Error(`expected an array, got ${JSON.stringify(value)}`);
  return value as Loose[];
}

export interface CallResult {
  status: number;
  headers: Headers;
  body: Loose;
}

export async function startFake(options: PipedriveFakeOptions = {}): Promise<Started> {
  const fake = createPipedriveFake({ apps: [APP], ...options });
  const baseUrl = await fake.listen(0);
  const companyId = fake.store.companies.keys().next().value ?? 0;
  const token = companyId ? fake.control.mintToken({ companyId }).access_token : '';
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    tok = started.token,
  ): Promise<CallResult> => {
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(tok ? { authorization: `Bearer ${tok}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      headers: res.headers,
      body: (text ? JSON.parse(text) : null) as Loose,
    };
  };
  const started: Started = { fake, baseUrl, token, companyId, call };
  return started;
}

export interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: Loose;
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Status to answer with; a function decides per request. */
  respond: (r: Received) => number;
  /** Milliseconds to wait before answering (to provoke the delivery timeout). */
  delayMs: number;
  close(): Promise<void>;
  app: FastifyInstance;
}

export async function startReceiver(): Promise<Receiver> {
  const app = Fastify({ forceCloseConnections: true });
  const receiver: Receiver = {
    url: '',
    received: [],
    respond: () => 200,
    delayMs: 0,
    close: () => app.close(),
    app,
  };
  app.all('/*', async (req, reply) => {
    const r: Received = { headers: req.headers, body: req.body as Loose, at: Date.now() };
    receiver.received.push(r);
    if (receiver.delayMs > 0) await new Promise((done) => setTimeout(done, receiver.delayMs));
    return reply.code(receiver.respond(r)).send({ ok: true });
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('receiver did not bind');
  receiver.url = `http://127.0.0.1:${address.port}/hooks`;
  return receiver;
}
