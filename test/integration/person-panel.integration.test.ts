import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCatalogue } from '../../server/errors.ts';
import type { PersonResponse } from '../../server/http/routes/person.ts';
import { staticRoutes } from '../../server/http/routes/static.ts';
import { personJobKey } from '../../server/jobs/queues.ts';
import { signPanelJwt } from '../../server/pipedrive/jwt.ts';
import { coreCodes } from '../../server/sync/core/codes.ts';
import { startPanelApp, type TestApp } from '../helpers/app.ts';

const SECRET = 'person-panel-jwt-secret';
const ALPHA = 10;
const BETA = 20;
const PERSON = 501;
let t: TestApp;
let alphaConnection: number;

const token = (companyId: number) => signPanelJwt({ companyId, userId: 1 }, SECRET);
const get = (companyId: number | null, personId: number) =>
  t.app.inject({
    url: `/api/persons/${personId}`,
    headers: companyId === null ? {} : { authorization: `Bearer ${token(companyId)}` },
  });
const resync = (companyId: number, personId: number) =>
  t.app.inject({
    method: 'POST',
    url: `/api/persons/${personId}/resync`,
    headers: { authorization: `Bearer ${token(companyId)}` },
  });

beforeAll(async () => {
  t = await startPanelApp(SECRET, [{ id: ALPHA }, { id: BETA }]);
  const db = t.database.db;
  const alpha = await db
    .insertInto('connections')
    .values({ company_id: ALPHA, cc_account_id: 'acc-alpha', cc_access_token: t.keyring.seal('x') })
    .returning('id')
    .executeTakeFirstOrThrow();
  alphaConnection = Number(alpha.id);
  const link = await db
    .insertInto('links')
    .values({
      connection_id: alphaConnection,
      person_id: PERSON,
      contact_id: 'c-501',
      email: 'p501@example.org',
      state: 'contact_deleted',
      last_synced_at: new Date('2026-11-01T10:00:00Z'),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await db
    .insertInto('contact_errors')
    .values([
      {
        connection_id: alphaConnection,
        subject: `person:${PERSON}`,
        person_id: PERSON,
        code: 'EMAIL_COLLISION',
      },
      {
        connection_id: alphaConnection,
        subject: `person:${PERSON}`,
        person_id: PERSON,
        code: 'CC_REAUTH_NEEDED',
      },
      {
        connection_id: alphaConnection,
        subject: `person:${PERSON}`,
        person_id: PERSON,
        code: 'SOMETHING_NEW',
      },
      {
        connection_id: alphaConnection,
        subject: `person:${PERSON}`,
        person_id: PERSON,
        code: 'DUPLICATE_EMAIL',
        resolved_at: new Date(),
      },
    ])
    .execute();
  await db
    .insertInto('contact_events')
    .values(
      Array.from({ length: 12 }, (_, i) => ({
        connection_id: alphaConnection,
        link_id: link.id,
        person_id: PERSON,
        direction: 'to_cc',
        kind: 'contact_updated',
        changes: JSON.stringify({ [`field_${i}`]: { from: 'a', to: 'b' } }),
        created_at: new Date(Date.UTC(2026, 10, 1, 0, i)),
      })),
    )
    .execute();
});

afterAll(async () => {
  await t.close();
});

describe('GET /api/persons/:personId', () => {
  it('returns the link, the open errors in the catalogue’s words and the last 10 events', async () => {
    const response = await get(ALPHA, PERSON);
    expect(response.statusCode).toBe(200);
    const body = response.json<PersonResponse>();
    expect(body.link).toEqual({
      state: 'contact_deleted',
      contactId: 'c-501',
      email: 'p501@example.org',
      lastSyncedAt: '2026-11-01T10:00:00.000Z',
    });
    const errors = Object.fromEntries(body.errors.map((e) => [e.code, e]));
    expect(Object.keys(errors).sort()).toEqual([
      'CC_REAUTH_NEEDED',
      'EMAIL_COLLISION',
      'SOMETHING_NEW',
    ]);
    expect(errors.EMAIL_COLLISION).toMatchObject({
      message: coreCodes.EMAIL_COLLISION.message,
      fix: coreCodes.EMAIL_COLLISION.fix,
    });
    expect(errors.CC_REAUTH_NEEDED).toMatchObject({
      message: errorCatalogue.CC_REAUTH_NEEDED.message,
      fix: errorCatalogue.CC_REAUTH_NEEDED.fix,
    });
    expect(errors.SOMETHING_NEW?.message).toBe('SOMETHING_NEW');
    expect(errors.SOMETHING_NEW?.fix).toContain('docs/errors.md');
    expect(body.events).toHaveLength(10);
    expect(body.events[0]).toMatchObject({ fields: ['field_11'], direction: 'to_cc' });
    expect(body.events[9]?.fields).toEqual(['field_2']);
  });

  it('shows another company nothing of this person', async () => {
    const response = await get(BETA, PERSON);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      personId: PERSON,
      connected: false,
      link: null,
      errors: [],
      events: [],
    });
  });

  it('answers an unlinked person of a connected company with an empty state', async () => {
    expect((await get(ALPHA, 999)).json()).toMatchObject({
      connected: true,
      link: null,
      errors: [],
    });
  });

  it('refuses a request without a token, and a person id that is not a number', async () => {
    const anonymous = await get(null, PERSON);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json().error.code).toBe('PANEL_UNAUTHENTICATED');
    const bad = await t.app.inject({
      url: '/api/persons/abc',
      headers: { authorization: `Bearer ${token(ALPHA)}` },
    });
    expect(bad.statusCode).toBe(400);
  });
});

describe('POST /api/persons/:personId/resync', () => {
  it('queues one pipedrive.person-changed job for the token’s company, coalescing repeats', async () => {
    const first = await resync(ALPHA, PERSON);
    expect(first.json()).toEqual({ queued: true });
    expect((await resync(ALPHA, PERSON)).json()).toEqual({ queued: false });
    const jobs = await t.boss.findJobs<{ companyId: number; personId: number }>(
      'pipedrive.person-changed',
      { key: personJobKey(ALPHA, PERSON) },
    );
    expect(jobs.map((j) => j.data)).toEqual([{ companyId: ALPHA, personId: PERSON }]);
  });
});

describe('extension static files', () => {
  it('serves the built pages under /extension/', async () => {
    const response = await t.app.inject('/extension/panel.html');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    expect(response.body).toContain('/extension/assets/');
  });

  it('explains how to build when there is no build', async () => {
    const app = Fastify();
    await app.register(async (scope) =>
      staticRoutes(scope, { root: mkdtempSync(join(tmpdir(), 'no-dist-')) }),
    );
    const response = await app.inject('/extension/settings.html');
    expect(response.statusCode).toBe(503);
    expect(response.body).toContain('npm run build:extension');
    await app.close();
  });
});
