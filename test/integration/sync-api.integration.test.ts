import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCatalogue } from '../../server/errors.ts';
import { signPanelJwt } from '../../server/pipedrive/jwt.ts';
import type { ConnectionSettings } from '../../server/sync/settings.ts';
import { DEMO_ACCOUNT_ID } from '../fakes/constant-contact/demo.ts';
import type { ConstantContactFake } from '../fakes/constant-contact/server.ts';
import type { PipedriveFake } from '../fakes/pipedrive/server.ts';
import type { TestApp } from '../helpers/app.ts';
import { startConnectedApp, toCcSettings } from '../helpers/connected-app.ts';
import type { SyncWorld } from '../helpers/sync-world.ts';

let world: SyncWorld;
let pd: PipedriveFake;
let cc: ConstantContactFake;
let t: TestApp;
let companyId: number;
let settings: ConnectionSettings;

beforeAll(async () => {
  // Connected with nothing saved yet: the tests save settings through the route.
  ({ world, t, companyId } = await startConnectedApp('api', () => ({}) as ConnectionSettings));
  ({ pd, cc } = world);
  settings = toCcSettings(world);
});

afterAll(async () => {
  await t.close();
  await world.close();
});

const call = (method: 'GET' | 'PUT' | 'POST', url: string, payload?: unknown) =>
  t.app.inject({
    method,
    url,
    headers: {
      authorization: `Bearer ${signPanelJwt({ companyId, userId: 1 }, world.apps.pd.secret)}`,
    },
    ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
  });

async function waitFor<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('sync API', () => {
  it('offers the fields of both accounts and a default mapping', async () => {
    const response = await call('GET', '/api/fields');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    expect(body.available.pipedrive.map((f: { key: string }) => f.key)).toContain(
      'person:first_name',
    );
    expect(body.available.cc.length).toBeGreaterThan(5);
    expect(body.defaultMapping.length).toBeGreaterThanOrEqual(3);
  });

  it('offers the filters, lists and users the settings editor chooses from', async () => {
    const response = await call('GET', '/api/choices');
    expect(response.statusCode).toBe(200);
    const body = response.json();
    const company = pd.store.company(companyId)!;
    expect(body.users.map((u: { id: number }) => u.id).sort()).toEqual(
      [...company.users.keys()].sort(),
    );
    expect(body.lists.map((l: { name: string }) => l.name)).toEqual(
      expect.arrayContaining(
        [...cc.store.account(DEMO_ACCOUNT_ID).lists.values()].map((l) => l.name),
      ),
    );
    expect(body.filters.length).toBeGreaterThan(0);
  });

  it('refuses settings whose mapping points at a field that does not exist, saying which', async () => {
    const bad = {
      ...settings,
      mapping: [
        {
          pipedrive: { entity: 'person', key: 'no_such_field' },
          cc: { kind: 'standard', field: 'job_title' },
          direction: 'both',
        },
      ],
    };
    const response = await call('PUT', '/api/settings', bad);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('MAPPING_INVALID');
    expect(response.json().error.detail[0]).toMatchObject({ row: 0, code: 'FIELD_MISSING' });
    const incomplete = await call('PUT', '/api/settings', { ...settings, targetListIds: [] });
    expect(incomplete.statusCode).toBe(400);
    expect(JSON.stringify(incomplete.json().error.detail)).toContain('targetListIds');
  });

  it('names each refused setting by path and each refused row by index, for the editor', async () => {
    const incomplete = await call('PUT', '/api/settings', {
      ...settings,
      direction: 'two_way',
      targetListIds: [],
    });
    expect(incomplete.statusCode).toBe(400);
    expect(incomplete.json().error).toMatchObject({
      code: 'SETTINGS_INVALID',
      detail: expect.arrayContaining([
        { path: 'targetListIds', message: expect.stringContaining('list') },
        { path: 'newPersonOwnerId', message: expect.stringContaining('own the persons') },
      ]),
    });
    // Row 1 writes a read-only CC field; row 0 is fine and gets no problem.
    const readOnly = await call('PUT', '/api/settings', {
      ...settings,
      mapping: [
        settings.mapping[0],
        {
          pipedrive: { entity: 'person', key: 'job_title' },
          cc: { kind: 'standard', field: 'created_at' },
          direction: 'to_cc',
        },
      ],
    });
    expect(readOnly.statusCode).toBe(400);
    expect(readOnly.json().error.code).toBe('MAPPING_INVALID');
    expect(readOnly.json().error.detail).toEqual([
      { row: 1, code: 'READ_ONLY', message: expect.stringContaining('“Created at” is read-only') },
    ]);
    expect((await call('GET', '/api/settings')).json().settings).toBeNull();
  });

  it('saves valid settings, dry-runs, then activates; status shows progress and contacts in sync', async () => {
    expect((await call('PUT', '/api/settings', settings)).statusCode).toBe(200);
    expect((await call('GET', '/api/settings')).json().settings.direction).toBe('to_cc');

    const dry = await call('POST', '/api/sync/dry-run');
    expect(dry.statusCode).toBe(200);
    const afterDry = await waitFor(
      async () => (await call('GET', '/api/sync/status')).json(),
      (s) => s.lastDryRun?.status === 'completed',
    );
    expect(afterDry.lastDryRun.result.counts.create_contact).toBeGreaterThan(0);
    expect(afterDry.contactsInSync).toBe(0);
    expect(afterDry.status).toBe('setup');

    expect((await call('POST', '/api/sync/activate')).statusCode).toBe(200);
    const active = await waitFor(
      async () => (await call('GET', '/api/sync/status')).json(),
      (s) => s.lastRun?.status === 'completed',
    );
    expect(active.status).toBe('active');
    expect(active.lastRun.done).toBe(active.lastRun.total);
    expect(active.contactsInSync).toBeGreaterThan(0);
    // Demo data has duplicate emails: they are reported per code, with the fix and persons.
    const duplicates = active.errors.find((e: { code: string }) => e.code === 'DUPLICATE_EMAIL');
    expect(duplicates.count).toBeGreaterThan(0);
    expect(duplicates.fix.length).toBeGreaterThan(10);
    expect(duplicates.persons.length).toBeGreaterThan(0);
  });

  it('reads a linked person’s subscription and lists from Constant Contact for the panel', async () => {
    const account = cc.store.account(DEMO_ACCOUNT_ID);
    const links = (await t.database.db
      .selectFrom('links')
      .select(['person_id', 'contact_id'])
      .where('state', '=', 'active')
      .where('contact_id', 'is not', null)
      .orderBy('id')
      .execute()) as { person_id: number; contact_id: string }[];
    // Both on a list and subscribed in the demo data; the second then opts out.
    const [subscribed, leaving] = links.filter((l) => {
      const contact = account.contacts.get(l.contact_id);
      return contact?.email?.permission === 'implicit' && (contact.list_memberships ?? []).length;
    });
    const lists = account.contacts
      .get(subscribed!.contact_id)!
      .list_memberships!.map((id) => ({ id, name: account.lists.get(id)!.name }));
    const at = Date.parse('2026-11-20T08:00:00Z');
    cc.control.unsubscribe(DEMO_ACCOUNT_ID, leaving!.contact_id, { at, reason: 'Too many emails' });

    const found = await call('GET', `/api/persons/${subscribed!.person_id}/subscription`);
    expect(found.statusCode).toBe(200);
    expect(found.json()).toMatchObject({
      state: 'found',
      contactId: subscribed!.contact_id,
      permission: 'implicit',
      optOutDate: null,
    });
    expect(found.json().lists).toEqual(lists);

    const gone = (await call('GET', `/api/persons/${leaving!.person_id}/subscription`)).json();
    expect(gone).toMatchObject({ state: 'found', permission: 'unsubscribed' });
    expect(Date.parse(gone.optOutDate)).toBe(at);
    expect(gone.optOutReason).toBe('Too many emails');

    const unlinked = (await call('GET', '/api/persons/999999/subscription')).json();
    expect(unlinked).toEqual({ state: 'not_linked' });
  });

  it('answers a provider refusal with its catalogue code and fix, not an internal error', async () => {
    const link = await t.database.db
      .selectFrom('links')
      .select('person_id')
      .where('state', '=', 'active')
      .where('contact_id', 'is not', null)
      .executeTakeFirstOrThrow();
    cc.control.addFault({ method: 'GET', path: '^/v3/contacts/', status: 403, times: 1 });
    const response = await call('GET', `/api/persons/${link.person_id}/subscription`);
    expect(response.statusCode).toBe(403);
    expect(response.json().error).toMatchObject({
      code: 'PROVIDER_PERMISSION_DENIED',
      fix: errorCatalogue.PROVIDER_PERMISSION_DENIED.fix,
      detail: { provider: 'constant_contact', status: 403 },
    });
  });

  it('pauses and resumes, refusing a resume that makes no sense', async () => {
    expect((await call('POST', '/api/sync/pause')).json()).toEqual({ status: 'paused' });
    expect((await call('POST', '/api/sync/pause')).statusCode).toBe(409);
    expect((await call('POST', '/api/sync/resume')).json()).toEqual({ status: 'active' });
  });
});
