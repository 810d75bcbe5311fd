/**
 * Webhooks v2 delivery (reference 7.3–7.6): payload and headers, change_source, retries on the
 * 3/30/150 s schedule (compressed), timeout, ban after 10 failed first attempts, removal after
 * 3 days without success, merge pairs, and delivery chaos on demand.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createClock } from '../shared/clock.ts';
import { list, type Receiver, type Started, startFake, startReceiver } from './harness.ts';

let s: Started;
let receiver: Receiver;
const clock = createClock();

beforeEach(async () => {
  clock.set(Date.UTC(2026, 2, 1, 9));
  receiver = await startReceiver();
  // 0.001: retries after 3 ms, 30 ms and 150 ms instead of seconds.
  s = await startFake({
    clock,
    webhookTimeScale: 0.001,
    webhookTimeoutMs: 200,
    rateLimits: { enabled: false },
  });
});
afterEach(async () => {
  await s.fake.close();
  await receiver.close();
});

async function subscribe(action = '*') {
  const res = await s.call('POST', '/v1/webhooks', {
    subscription_url: receiver.url,
    event_action: action,
    event_object: 'person',
    name: 'test',
    http_auth_user: 'hook-user',
    http_auth_password: 'hook-pass',
    version: '2.0',
  });
  expect(res.status).toBe(201);
  return Number(res.body.data.id);
}

describe('webhook delivery', () => {
  it('delivers create/change/delete with meta, data, previous, Basic auth and change_source', async () => {
    await subscribe();
    const created = await s.call('POST', '/api/v2/persons', {
      name: 'Hook Person',
      emails: [{ value: 'hook@example.com' }],
    });
    const id = Number(created.body.data.id);
    s.fake.control.ui.updatePerson(s.companyId, id, { name: 'Hook Renamed' });
    await s.call('DELETE', `/api/v2/persons/${id}`);
    await s.fake.control.webhooks.idle();
    const bodies = receiver.received.map((r) => r.body);
    expect(bodies.map((b) => `${b.meta.action}:${b.meta.change_source}`)).toEqual([
      'create:api',
      'change:app',
      'delete:api',
    ]);
    const [create, change, del] = bodies;
    expect(create?.meta).toMatchObject({
      entity: 'person',
      entity_id: String(id),
      company_id: String(s.companyId),
      attempt: 1,
      version: '2.0',
      type: 'application',
    });
    expect(create?.data.emails).toEqual([
      { value: 'hook@example.com', primary: true, label: 'work' },
    ]);
    expect(create?.previous).toBeNull();
    expect(change?.data.name).toBe('Hook Renamed');
    expect(change?.previous).toEqual({ name: 'Hook Person', last_name: 'Person' });
    expect(del?.data).toBeNull();
    expect(del?.previous.name).toBe('Hook Renamed');
    const headers = receiver.received[0]?.headers;
    expect(headers?.authorization).toBe(
      `Basic ${Buffer.from('hook-user:hook-pass').toString('base64')}`,
    );
    expect(headers?.['user-agent']).toBe('Pipedrive Webhooks');
  });

  it('retries failed deliveries up to 3 times, then gives up', async () => {
    await subscribe();
    let calls = 0;
    receiver.respond = () => (++calls <= 2 ? 500 : 200);
    await s.call('POST', '/api/v2/persons', { name: 'Retry Once' });
    await s.fake.control.webhooks.idle();
    expect(receiver.received.map((r) => r.body.meta.attempt)).toEqual([1, 2, 3]);
    receiver.received.length = 0;
    receiver.respond = () => 503;
    await s.call('POST', '/api/v2/persons', { name: 'Retry Forever' });
    await s.fake.control.webhooks.idle();
    expect(receiver.received.map((r) => r.body.meta.attempt)).toEqual([1, 2, 3, 4]);
    const gaps = receiver.received.slice(1).map((r, i) => r.at - (receiver.received[i]?.at ?? 0));
    expect(gaps[2]).toBeGreaterThanOrEqual(gaps[0] ?? 0);
  });

  it('treats an answer slower than the timeout as a failure', async () => {
    await subscribe();
    receiver.delayMs = 400;
    s.fake.webhooks.timeScale = 1000; // keep the retries out of the way
    await s.call('POST', '/api/v2/persons', { name: 'Slow Receiver' });
    await new Promise((done) => setTimeout(done, 350));
    const first = s.fake.control.webhooks.deliveries()[0];
    expect(first).toMatchObject({
      attempt: 1,
      outcome: 'failed',
      status: null,
      error: 'TimeoutError',
    });
    s.fake.webhooks.reset();
  });

  it('bans a webhook for 30 minutes after 10 failed first attempts and loses events meanwhile', async () => {
    const hookId = await subscribe('create');
    receiver.respond = (r) => (Number(r.body.meta.attempt) === 1 ? 500 : 200);
    for (let i = 0; i < 10; i++) await s.call('POST', '/api/v2/persons', { name: `Ban ${i}` });
    await s.fake.control.webhooks.idle();
    const hook = s.fake.control.company(s.companyId).webhooks.get(hookId);
    expect(hook?.bannedUntil).toBe(clock.now() + 30 * 60_000);
    receiver.received.length = 0;
    await s.call('POST', '/api/v2/persons', { name: 'Lost during ban' });
    await s.fake.control.webhooks.idle();
    expect(receiver.received).toHaveLength(0);
    expect(s.fake.control.webhooks.deliveries().at(-1)).toMatchObject({ outcome: 'dropped_ban' });
    clock.advance(30 * 60_000 + 1);
    receiver.respond = () => 200;
    await s.call('POST', '/api/v2/persons', { name: 'After ban' });
    await s.fake.control.webhooks.idle();
    expect(receiver.received.map((r) => r.body.data.name)).toEqual(['After ban']);
  });

  it('removes a webhook after 3 days without a successful delivery', async () => {
    const hookId = await subscribe();
    receiver.respond = () => 500;
    clock.advance(3 * 86_400_000);
    // A UI edit: the harness token has expired by now.
    s.fake.control.ui.createPerson(s.companyId, { name: 'Too late' });
    await s.fake.control.webhooks.idle();
    expect(s.fake.control.company(s.companyId).webhooks.has(hookId)).toBe(false);
  });

  it('sends a merge as delete (merged_to_id) then change (merged_from_id)', async () => {
    await subscribe();
    const a = await s.call('POST', '/api/v2/persons', {
      name: 'Merge Gone',
      emails: [{ value: 'gone@example.com' }],
    });
    const b = await s.call('POST', '/api/v2/persons', { name: 'Merge Survivor' });
    await s.fake.control.webhooks.idle();
    receiver.received.length = 0;
    const gone = Number(a.body.data.id);
    const survivor = Number(b.body.data.id);
    const res = await s.call('PUT', `/v1/persons/${gone}/merge`, { merge_with_id: survivor });
    expect(res.body.data.merge_what_id).toBe(gone);
    await s.fake.control.webhooks.idle();
    const [del, change] = receiver.received.map((r) => r.body);
    expect(del?.meta).toMatchObject({
      action: 'delete',
      entity_id: String(gone),
      merged_to_id: String(survivor),
    });
    expect(change?.meta).toMatchObject({
      action: 'change',
      entity_id: String(survivor),
      merged_from_id: String(gone),
    });
    expect(change?.data.emails).toEqual([
      { value: 'gone@example.com', primary: true, label: 'work' },
    ]);
  });

  it('drops, duplicates, delays and reorders deliveries on demand', async () => {
    await subscribe('create');
    s.fake.control.webhooks.setChaos({ dropNext: 1, duplicateNext: 1 });
    await s.call('POST', '/api/v2/persons', { name: 'Dropped' });
    await s.call('POST', '/api/v2/persons', { name: 'Twice' });
    await s.fake.control.webhooks.idle();
    expect(receiver.received.map((r) => r.body.data.name)).toEqual(['Twice', 'Twice']);
    receiver.received.length = 0;
    s.fake.control.webhooks.hold();
    await s.call('POST', '/api/v2/persons', { name: 'First' });
    await s.call('POST', '/api/v2/persons', { name: 'Second' });
    expect(receiver.received).toHaveLength(0);
    expect(s.fake.control.webhooks.release('reverse')).toBe(2);
    await s.fake.control.webhooks.idle();
    expect(receiver.received.map((r) => r.body.data.name)).toEqual(['Second', 'First']);
    receiver.received.length = 0;
    s.fake.control.webhooks.setChaos({ delayMs: 80 });
    const before = Date.now();
    await s.call('POST', '/api/v2/persons', { name: 'Late' });
    await s.fake.control.webhooks.idle();
    expect((receiver.received[0]?.at ?? 0) - before).toBeGreaterThanOrEqual(75);
  });

  it('a person entering a filter sends only its own change event; membership is read by polling', async () => {
    await subscribe();
    const filters = await s.call('GET', '/v1/filters?type=people');
    const onOrg = list(filters.body.data).find((f) => String(f.name) === 'Email on example.org');
    const created = s.fake.control.ui.createPerson(s.companyId, {
      name: 'Filter Joiner',
      emails: [{ value: 'joiner@example.com' }],
    });
    const members = async () =>
      list(
        (await s.call('GET', `/api/v2/persons?filter_id=${Number(onOrg?.id)}&limit=500`)).body.data,
      ).map((p) => Number(p.id));
    expect(await members()).not.toContain(created.id);
    await s.fake.control.webhooks.idle();
    receiver.received.length = 0;
    s.fake.control.ui.updatePerson(s.companyId, created.id, {
      emails: [{ value: 'joiner@example.org' }],
    });
    await s.fake.control.webhooks.idle();
    expect(receiver.received.map((r) => `${r.body.meta.action}.${r.body.meta.entity}`)).toEqual([
      'change.person',
    ]);
    expect(await members()).toContain(created.id);
  });
});
