/**
 * The HTTP control surface under /__fake/, as the standalone fake's users drive it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Loose,
  list,
  type Receiver,
  type Started,
  startFake,
  startReceiver,
} from './harness.ts';

let s: Started;
let receiver: Receiver;

beforeAll(async () => {
  receiver = await startReceiver();
  s = await startFake({ rateLimits: { enabled: false } });
});
afterAll(async () => {
  await s.fake.close();
  await receiver.close();
});

async function control(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Loose }> {
  const res = await fetch(`${s.baseUrl}/__fake${path}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Loose };
}

describe('/__fake/ control surface', () => {
  it('mints tokens, reads the store and edits persons as a UI user (change_source app)', async () => {
    const store = await control('GET', '/store');
    const company = list(store.body.companies)[0];
    expect(Number(company?.id)).toBe(s.companyId);
    const minted = await control('POST', '/tokens', {
      company_id: s.companyId,
      scopes: ['contacts:read'],
    });
    expect(
      (await s.call('GET', '/api/v2/persons/1', undefined, String(minted.body.access_token)))
        .status,
    ).toBe(200);
    expect(
      (
        await s.call('POST', '/v1/webhooks', {
          subscription_url: receiver.url,
          event_action: '*',
          event_object: 'person',
        })
      ).status,
    ).toBe(201);
    const created = await control('POST', `/ui/companies/${s.companyId}/persons`, {
      name: 'Ui Made',
      emails: [{ value: 'ui@example.com' }],
    });
    const id = Number(created.body.id);
    const edited = await control('PATCH', `/ui/companies/${s.companyId}/persons/${id}`, {
      job_title: 'CFO',
    });
    expect(edited.body.job_title).toBe('CFO');
    const bad = await control('PATCH', `/ui/companies/${s.companyId}/persons/${id}`, {
      emails: 'nope',
    });
    expect(bad.status).toBe(400);
    await s.fake.control.webhooks.idle();
    expect(
      receiver.received.map((r) => `${r.body.meta.action}:${r.body.meta.change_source}`),
    ).toEqual(['create:app', 'change:app']);
    const deliveries = await control('GET', '/webhooks/deliveries');
    expect(list(deliveries.body).map((d) => d.outcome)).toEqual(['delivered', 'delivered']);
  });

  it('injects faults, switches behaviour, moves the clock and resets', async () => {
    await control('POST', '/faults', { path: '^/v1/users/me$', status: 502 });
    expect((await s.call('GET', '/v1/users/me')).status).toBe(502);
    expect((await s.call('GET', '/v1/users/me')).status).toBe(200);
    const b = await control('POST', '/behaviour', { deletedPersonGet: 'is_deleted' });
    expect(b.body.deletedPersonGet).toBe('is_deleted');
    const requests = await control('GET', '/requests');
    expect(list(requests.body).length).toBeGreaterThan(0);
    const clock = await control('POST', '/clock', { set: '2030-01-01T00:00:00.000Z' });
    expect(clock.body.now).toBe('2030-01-01T00:00:00.000Z');
    await control('POST', '/clock', { unpin: true });
    await control('POST', '/reset', { seed: { companies: [{ name: 'Tiny', persons: 3 }] } });
    const after = await control('GET', '/store');
    expect(list(after.body.companies).map((c) => Number(c.persons))).toEqual([3]);
    expect((await s.call('GET', '/v1/users/me')).status).toBe(401);
  });
});
