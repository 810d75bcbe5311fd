/**
 * Both extension surfaces in headless Chromium, inside the demo host page that plays
 * Pipedrive's parent frame (SDK wire protocol, pipedrive-api.md §10.5). Outcomes are read from
 * what the page shows and what the database holds.
 */
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBudgets } from '../../server/api/budget-readout.ts';
import { DEMO } from '../../server/demo/fakes.ts';
import { registerWorkers } from '../../server/jobs/queues.ts';
import { createLogger } from '../../server/log.ts';
import { coreCodes } from '../../server/sync/core/codes.ts';
import { initialSyncJob } from '../../server/sync/engine/initial.ts';
import { connectionSettings } from '../../server/sync/settings.ts';
import { DEMO_ACCOUNT_ID } from '../fakes/constant-contact/demo.ts';
import { type BrowserHarness, chromiumMissing, extensionFrame, startHarness } from './setup.ts';

/**
 * The README's screenshots are taken by these tests, into docs/screenshots/ only when asked
 * (`UPDATE_SCREENSHOTS=1 npm run test:browser`), so a test run leaves the work tree clean;
 * otherwise into a temporary folder (still exercising the full-page capture).
 */
const SCREENSHOTS = process.env.UPDATE_SCREENSHOTS
  ? new URL('../../docs/screenshots/', import.meta.url).pathname
  : `${mkdtempSync(join(tmpdir(), 'pdcc-screens-'))}/`;
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** WCAG 2 A/AA violations axe-core finds in a frame: rule id and the offending markup. */
async function accessibilityViolations(frame: Frame): Promise<string[]> {
  await frame.addScriptTag({ path: AXE });
  return frame.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            context: Document,
            options: object,
          ): Promise<{ violations: { id: string; nodes: { html: string }[] }[] }>;
        };
      }
    ).axe;
    const result = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] },
    });
    return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.html}`));
  });
}

describe.skipIf(chromiumMissing)('extension surfaces in Chromium', () => {
  let h: BrowserHarness;
  let linked: { id: number; email: string };
  let unlinked: number;

  beforeAll(async () => {
    h = await startHarness();
    const persons = [...h.fakes.pipedrive.store.company(h.companyId)!.persons.values()];
    const first = persons[0]!;
    linked = { id: first.id, email: first.emails[0]!.value };
    unlinked = persons[1]!.id;
    // A link and its history as the sync engine records them (migrations/0001).
    const link = await h.t.database.db
      .insertInto('links')
      .values({
        connection_id: h.connectionId,
        person_id: linked.id,
        contact_id: '0a1b2c3d-0000-4000-8000-000000000001',
        email: linked.email,
        last_synced_at: new Date('2026-11-26T09:30:00Z'),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await h.t.database.db
      .insertInto('contact_events')
      .values([
        {
          connection_id: h.connectionId,
          link_id: link.id,
          person_id: linked.id,
          direction: 'to_cc',
          kind: 'contact_created',
          created_at: new Date('2026-11-26T09:00:00Z'),
        },
        {
          connection_id: h.connectionId,
          link_id: link.id,
          person_id: linked.id,
          direction: 'to_pipedrive',
          kind: 'person_updated',
          changes: JSON.stringify({ job_title: { from: 'Clerk', to: 'Office Manager' } }),
          created_at: new Date('2026-11-26T09:30:00Z'),
        },
      ])
      .execute();
  });

  afterAll(async () => {
    await h?.close();
  });

  it('settings page: both connections, the CC account and the API budget', async () => {
    const page = await h.browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(`${h.t.publicUrl}/demo?screen=settings`);
    const frame = await extensionFrame(page, 'settings');
    const connection = await h.t.database.db
      .selectFrom('connections')
      .select(['cc_account_name', 'cc_account_id'])
      .where('id', '=', h.connectionId)
      .executeTakeFirstOrThrow();
    expect(connection.cc_account_name).toBeTruthy();
    await expect
      .poll(() => frame.locator('[data-testid=cc-account]').textContent())
      .toBe(connection.cc_account_name);
    const budget = await readBudgets(h.t.database.db, {
      pipedrive: { companyId: h.companyId, share: 0.5 },
      constantContact: {
        clientId: DEMO.constantContact.clientId,
        perDay: 10_000,
        account: connection.cc_account_id!,
      },
    });
    const pdRow = frame.locator('tr[data-side="Pipedrive"]');
    const ccRow = frame.locator('tr[data-side="Constant Contact"]');
    await expect
      .poll(() => pdRow.textContent())
      .toContain(`of ${budget.pipedrive.limit.toLocaleString('en')}`);
    expect(await pdRow.textContent()).toContain(budget.pipedrive.left.toLocaleString('en'));
    expect(await ccRow.textContent()).toContain(
      `of ${budget.constantContact!.appLimit.toLocaleString('en')}`,
    );
    expect(await frame.locator('body').textContent()).toContain('Receiving Pipedrive changes');
    // The host sizes the iframe to the content the page reports (resize command). Sections
    // that load later grow the page and send a new resize, so wait for the two to meet.
    const settingsFrame = page.locator('iframe[name=settings]');
    await expect
      .poll(
        async () => {
          const frameHeight = await settingsFrame.evaluate((f) => f.clientHeight);
          const contentHeight = await frame.evaluate(() => document.documentElement.scrollHeight);
          return Math.abs(frameHeight - contentHeight);
        },
        { timeout: 5_000 },
      )
      .toBeLessThanOrEqual(2);
    await page.close();
  });

  it('person panel: link state, email and history of the selected person', async () => {
    const page = await h.browser.newPage({ viewport: { width: 1100, height: 800 } });
    await page.goto(`${h.t.publicUrl}/demo?screen=person&person=${linked.id}`);
    const frame = await extensionFrame(page, 'panel');
    await expect
      .poll(() => frame.locator('[data-testid=link-state]').textContent())
      .toBe('Linked to a Constant Contact contact');
    const text = await frame.locator('body').textContent();
    expect(text).toContain(linked.email);
    const history = await frame.locator('ol.history li').allTextContents();
    expect(history).toHaveLength(2);
    expect(history[0]).toContain('person updated: job_title');
    expect(history[0]).toContain('Constant Contact → Pipedrive');
    expect(history[1]).toContain('contact created');
    await page.screenshot({ path: `${SCREENSHOTS}panel.png`, fullPage: true });
    await page.close();
  });

  it('person panel: an unlinked person says so', async () => {
    const page = await h.browser.newPage();
    await page.goto(`${h.t.publicUrl}/demo?screen=person&person=${unlinked}`);
    const frame = await extensionFrame(page, 'panel');
    await expect
      .poll(() => frame.locator('[data-testid=link-state]').textContent())
      .toBe('Not linked to a Constant Contact contact');
    expect(await frame.locator('body').textContent()).toContain('No changes recorded yet.');
    await page.close();
  });

  it('an expired token is replaced through the SDK (get_signed_token) and the panel loads', async () => {
    const page = await h.browser.newPage();
    await page.goto(
      `${h.t.publicUrl}/demo?screen=person&person=${linked.id}&urlTokenTtl=-120&expireFirstToken=1`,
    );
    const frame = await extensionFrame(page, 'panel');
    await expect
      .poll(() => frame.locator('[data-testid=link-state]').textContent())
      .toBe('Linked to a Constant Contact contact');
    const asked = await page.evaluate(
      () =>
        (
          window as unknown as { demoHost: { log: { frame: string; command?: string }[] } }
        ).demoHost.log.filter((m) => m.frame === 'panel' && m.command === 'get_signed_token')
          .length,
    );
    expect(asked).toBeGreaterThanOrEqual(2);
    // The app refused the expired token before accepting the fresh one.
    expect(h.t.logs()).toMatch(/PANEL_UNAUTHENTICATED|"statusCode":401/);
    await page.close();
  });

  it('follows Pipedrive’s theme: dark from the URL and on a live switch', async () => {
    const page = await h.browser.newPage({ viewport: { width: 1100, height: 800 } });
    await page.goto(`${h.t.publicUrl}/demo?screen=person&person=${linked.id}`);
    const frame = await extensionFrame(page, 'panel');
    await frame.waitForSelector('[data-testid=link-state]');
    const theme = () => frame.evaluate(() => document.documentElement.dataset.theme);
    const background = () => frame.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(await theme()).toBe('light');
    const light = await background();
    await page.click('#theme'); // the host posts user_settings_change to the panel
    await expect.poll(theme).toBe('dark');
    expect(await background()).not.toBe(light);
    expect(await background()).toBe('rgb(30, 33, 38)');
    await page.screenshot({ path: `${SCREENSHOTS}panel-dark.png`, fullPage: true });
    await page.close();
  });

  it('shows the person’s open error with how to fix it', async () => {
    await h.t.database.db
      .insertInto('contact_errors')
      .values({
        connection_id: h.connectionId,
        subject: `person:${unlinked}`,
        person_id: unlinked,
        code: 'DUPLICATE_EMAIL',
      })
      .execute();
    const page = await h.browser.newPage();
    await page.goto(`${h.t.publicUrl}/demo?screen=person&person=${unlinked}`);
    const frame = await extensionFrame(page, 'panel');
    const alert = frame.locator('[role=alert]');
    await alert.waitFor();
    const text = await alert.textContent();
    expect(text).toContain(coreCodes.DUPLICATE_EMAIL.message);
    expect(text).toContain(coreCodes.DUPLICATE_EMAIL.fix);
    await page.close();
  });

  it('"Resync this person" queues a sync job for that person', async () => {
    const page = await h.browser.newPage();
    await page.goto(`${h.t.publicUrl}/demo?screen=person&person=${linked.id}`);
    const frame = await extensionFrame(page, 'panel');
    const button = frame.getByRole('button', { name: 'Resync this person' });
    await button.waitFor();
    await button.press('Enter'); // keyboard use
    await expect
      .poll(() => frame.locator('[role=status]').allTextContents())
      .toContainEqual(expect.stringMatching(/Resync queued|already waiting/));
    // The confirmation went through the SDK (show_snackbar) to the host page.
    await expect.poll(() => page.locator('#snackbar').textContent()).toMatch(/queued/);
    const jobs = await h.t.boss.findJobs('pipedrive.person-changed', {
      data: { companyId: h.companyId, personId: linked.id },
    });
    expect(jobs.length).toBeGreaterThanOrEqual(1);
    await page.close();
  });

  it('editing a person in the host page reaches the app as a Pipedrive webhook', async () => {
    const page = await h.browser.newPage();
    await page.goto(`${h.t.publicUrl}/demo?screen=person&person=${unlinked}`);
    await page.fill('#f-job', 'Head of Demos');
    await page.click('form button[type=submit]');
    await expect
      .poll(async () => {
        await h.fakes.pipedrive.control.webhooks.idle();
        return h.t.database.db
          .selectFrom('webhook_events')
          .select(['entity_id', 'action'])
          .where('company_id', '=', h.companyId)
          .where('entity_id', '=', unlinked)
          .execute();
      })
      .toContainEqual({ entity_id: unlinked, action: 'change' });
    expect(h.fakes.pipedrive.store.company(h.companyId)!.persons.get(unlinked)!.job_title).toBe(
      'Head of Demos',
    );
    await page.close();
  });

  it('Disconnect, then Connect through Constant Contact’s consent in a new window', async () => {
    const page = await h.browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(`${h.t.publicUrl}/demo?screen=settings`);
    const frame = await extensionFrame(page, 'settings');
    const account = frame.locator('[data-testid=cc-account]');
    await account.waitFor();
    const name = await account.textContent();
    const ccToken = () =>
      h.t.database.db
        .selectFrom('connections')
        .select('cc_access_token')
        .where('id', '=', h.connectionId)
        .executeTakeFirstOrThrow()
        .then((c) => c.cc_access_token);

    await frame.getByRole('button', { name: 'Disconnect' }).click();
    await expect.poll(() => account.textContent()).toBe('Not connected');
    expect(await page.locator('#snackbar').textContent()).toBe('Constant Contact disconnected');
    expect(await ccToken()).toBeNull();

    const popup = page.context().waitForEvent('page');
    await frame.getByRole('button', { name: 'Connect Constant Contact' }).click();
    const consent = await popup;
    // Our /auth/constant-contact → the CC fake's consent (auto-approved) → our callback.
    await consent.waitForURL(/\/auth\/constant-contact\/callback/);
    expect(await consent.locator('h1').textContent()).toBe('Constant Contact connected');
    expect(await ccToken()).not.toBeNull();
    await consent.close();
    await page.bringToFront();
    // Headless Chromium does not refocus a window when a popup closes; a person's browser does.
    await frame.evaluate(() => window.dispatchEvent(new Event('focus')));
    await expect.poll(() => account.textContent()).toBe(name);
    await page.close();
  });

  it('sets the sync up in the editor, previews it, activates it: the first sync completes', async () => {
    const db = h.t.database.db;
    const logger = createLogger({ level: 'silent' });
    // The workers `npm start` runs next to the web role: here only the initial sync's.
    await registerWorkers(
      h.t.boss,
      {
        'sync.initial': (payload, job) =>
          initialSyncJob({ db, apis: h.t.appDeps.apis, logger }, payload, job),
      },
      { concurrency: 1, logger },
    );
    const newsletter = [
      ...h.fakes.constantContact.store.account(DEMO_ACCOUNT_ID).lists.values(),
    ].find((l) => l.name === 'Newsletter')!;
    const filter = [...h.fakes.pipedrive.store.company(h.companyId)!.filters.values()].find(
      (f) => f.name === 'Has email',
    )!;

    // A narrow settings frame (Pipedrive's settings area on a small laptop): nothing overflows.
    const page = await h.browser.newPage({ viewport: { width: 760, height: 900 } });
    await page.goto(`${h.t.publicUrl}/demo?screen=settings`);
    const frame = await extensionFrame(page, 'settings');
    const editor = frame.getByRole('form', { name: 'Sync settings' });
    await editor.waitFor();

    await editor.getByRole('radio', { name: 'Two-way' }).check();
    await editor.getByRole('radio', { name: 'Persons in chosen filters' }).check();
    await editor.getByRole('searchbox', { name: 'Search: People filters' }).fill('email');
    const filters = editor.locator('[data-choices=filters] label');
    expect((await filters.allTextContents()).map((t) => t.trim())).toEqual([
      'Has email',
      'Email on example.org',
    ]);
    await editor.getByRole('checkbox', { name: 'Has email' }).check();
    await editor.getByRole('radio', { name: 'All contacts' }).check();
    const targets = editor.locator('[data-choices=target-lists]');
    await targets.getByRole('searchbox').fill('NEWS');
    await targets.getByRole('checkbox', { name: /^Newsletter/ }).check();
    await editor
      .getByRole('combobox', { name: 'Owner of persons the app creates' })
      .selectOption(String(h.userId));

    // A row that would write Constant Contact's read-only "Created at": refused, inline.
    const jobRow = editor.locator('li.mapping-row', {
      has: frame.locator('select option:checked', { hasText: /^Job title/ }),
    });
    await jobRow.first().waitFor();
    const n = Number(await jobRow.first().getAttribute('data-row'));
    const ccField = editor.getByRole('combobox', { name: `Row ${n}: Constant Contact field` });
    await ccField.selectOption('created_at');
    const problem = editor.locator(`li[data-row="${n}"] [data-testid=row-problem]`);
    await expect.poll(() => problem.textContent()).toContain('“Created at” is read-only');
    expect(await ccField.getAttribute('aria-describedby')).toBe(`row-${n}-problems`);
    await editor.getByRole('button', { name: 'Save settings' }).click();
    await expect
      .poll(() => editor.locator('[role=alert]').textContent())
      .toContain('One mapping row needs attention');
    const stored = () =>
      db
        .selectFrom('connections')
        .select('settings')
        .where('id', '=', h.connectionId)
        .executeTakeFirstOrThrow()
        .then((c) => c.settings);
    expect(connectionSettings.safeParse(await stored()).success).toBe(false); // nothing saved
    // Fixed: back to Job title, one way only.
    await ccField.selectOption('job_title');
    await editor.getByRole('combobox', { name: `Row ${n}: direction` }).selectOption('to_cc');
    expect(await problem.count()).toBe(0);

    await editor.getByRole('radio', { name: 'Constant Contact wins' }).check();
    await editor.getByRole('checkbox', { name: 'Bounces' }).uncheck();
    await editor.getByRole('spinbutton').fill('30');
    expect({ violations: await accessibilityViolations(frame) }).toEqual({ violations: [] });
    await page.click('#theme'); // dark, then back for the screenshot
    await expect
      .poll(() => frame.evaluate(() => document.documentElement.dataset.theme))
      .toBe('dark');
    expect({ dark: await accessibilityViolations(frame) }).toEqual({ dark: [] });
    await page.click('#theme');
    await expect
      .poll(() => frame.evaluate(() => document.documentElement.dataset.theme))
      .toBe('light');
    const overflow = await frame.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${SCREENSHOTS}settings-editor.png`, fullPage: true });

    await editor.getByRole('button', { name: 'Save settings' }).press('Enter');
    await frame.locator('[data-testid=settings-summary]').waitFor();
    expect(await page.locator('#snackbar').textContent()).toBe('Sync settings saved');
    const saved = connectionSettings.parse(await stored());
    expect(saved).toMatchObject({
      direction: 'two_way',
      pipedriveSource: { kind: 'filters', filterIds: [filter.id] },
      ccSource: { kind: 'all' },
      targetListIds: [newsletter.list_id],
      newPersonOwnerId: h.userId,
      conflictWinner: 'constant_contact',
      engagement: { opens: true, clicks: true, optouts: true, bounces: false, historyDays: 30 },
    });
    expect(saved.mapping).toContainEqual({
      pipedrive: { entity: 'person', key: 'job_title' },
      cc: { kind: 'standard', field: 'job_title' },
      direction: 'to_cc',
    });

    // The preview: the dry-run's plan, as the run recorded it.
    const linkCount = async () =>
      (
        await db
          .selectFrom('links')
          .select('id')
          .where('connection_id', '=', h.connectionId)
          .execute()
      ).length;
    const linksBefore = await linkCount();
    await frame.getByRole('button', { name: 'Preview the first sync (dry-run)' }).click();
    const dryRun = frame.locator('[data-run-kind=dry_run]');
    await expect.poll(() => dryRun.textContent(), { timeout: 30_000 }).toContain('completed');
    const plan = await db
      .selectFrom('sync_runs')
      .select('result')
      .where('connection_id', '=', h.connectionId)
      .where('kind', '=', 'dry_run')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    const { counts, samples } = plan.result as {
      counts: Record<string, number>;
      samples: Record<string, { email: string | null }[]>;
    };
    const example = samples.link?.find((item) => item.email)?.email;
    expect(example).toBeTruthy();
    expect(await dryRun.locator('[data-testid=plan-samples]').textContent()).toContain(example);
    expect(counts.link ?? 0).toBeGreaterThan(0);
    expect(await dryRun.textContent()).toContain(
      `${counts.link!.toLocaleString('en')} to link by email`,
    );
    expect(await linkCount()).toBe(linksBefore); // a dry-run writes nothing

    await frame.getByRole('button', { name: 'Activate the sync' }).click();
    const firstSync = frame.locator('[data-run-kind=initial]');
    await expect.poll(() => firstSync.textContent(), { timeout: 30_000 }).toContain('completed');
    await expect.poll(() => frame.locator('.badge').allTextContents()).toContain('Active');
    const inSync = await db
      .selectFrom('links')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('connection_id', '=', h.connectionId)
      .where('state', '=', 'active')
      .executeTakeFirstOrThrow();
    expect(Number(inSync.n)).toBeGreaterThan(0);
    await expect
      .poll(() => frame.locator('[data-testid=contacts-in-sync]').textContent())
      .toBe(`${Number(inSync.n).toLocaleString('en')} contacts in sync`);
    expect(await frame.getByRole('button', { name: 'Sync now' }).isVisible()).toBe(true);
    await page.close();
  });

  it('person panel: the linked contact’s subscription and lists, from Constant Contact', async () => {
    const account = h.fakes.constantContact.store.account(DEMO_ACCOUNT_ID);
    const links = (await h.t.database.db
      .selectFrom('links')
      .select(['person_id', 'contact_id'])
      .where('connection_id', '=', h.connectionId)
      .where('state', '=', 'active')
      .where('contact_id', 'is not', null)
      .orderBy('id')
      .execute()) as { person_id: number; contact_id: string }[];
    const subscribed = (l: { contact_id: string }) =>
      ['implicit', 'explicit'].includes(
        account.contacts.get(l.contact_id)?.email?.permission ?? '',
      );
    const onLists = links.find((l) => {
      const c = account.contacts.get(l.contact_id);
      return subscribed(l) && (c?.list_memberships ?? []).length > 1;
    })!;
    const listNames = account.contacts
      .get(onLists.contact_id)!
      .list_memberships!.map((id) => account.lists.get(id)!.name);
    const out = links.find((l) => l !== onLists && subscribed(l))!;
    h.fakes.constantContact.control.unsubscribe(DEMO_ACCOUNT_ID, out.contact_id, {
      at: Date.parse('2026-11-20T08:00:00Z'),
      reason: 'Too many emails',
    });

    const page = await h.browser.newPage({ viewport: { width: 1100, height: 800 } });
    await page.goto(`${h.t.publicUrl}/demo?screen=person&person=${onLists.person_id}`);
    let frame = await extensionFrame(page, 'panel');
    const subscription = frame.locator('[data-testid=subscription]');
    await expect
      .poll(() => subscription.textContent(), { timeout: 10_000 })
      .toMatch(/Subscribed \((implicit|explicit) permission\)/);
    expect(await subscription.textContent()).toContain(`Lists: ${listNames.join(', ')}`);
    await page.screenshot({ path: `${SCREENSHOTS}panel-subscription.png`, fullPage: true });

    await page.goto(`${h.t.publicUrl}/demo?screen=person&person=${out.person_id}`);
    frame = await extensionFrame(page, 'panel');
    const unsubscribed = frame.locator('[data-testid=subscription]');
    await expect
      .poll(() => unsubscribed.textContent(), { timeout: 10_000 })
      .toContain('Unsubscribed');
    expect(await unsubscribed.textContent()).toContain('opted out Nov 20, 2026 · Too many emails');
    expect({ violations: await accessibilityViolations(frame) }).toEqual({ violations: [] });
    await page.close();
  });

  it('settings page: sync status, the dry-run’s plan, errors with their fix; Pause', async () => {
    const db = h.t.database.db;
    const settings = connectionSettings.parse({
      direction: 'to_cc',
      pipedriveSource: { kind: 'all' },
      ccSource: { kind: 'all' },
      targetListIds: ['list-1'],
      conflictWinner: 'pipedrive',
    });
    await db
      .updateTable('connections')
      .set({ status: 'active', settings: JSON.stringify(settings) })
      .where('id', '=', h.connectionId)
      .execute();
    await db
      .insertInto('sync_runs')
      .values({
        connection_id: h.connectionId,
        kind: 'dry_run',
        status: 'completed',
        done: 155,
        total: 155,
        result: JSON.stringify({
          counts: { link: 120, create_contact: 30, nothing: 5 },
          excluded: { EMAIL_MISSING: 3 },
          duplicates: 2,
          conflicts: {},
          errors: {},
          samples: {},
        }),
        started_at: new Date(Date.now() - 60_000),
        finished_at: new Date(),
      })
      .execute();
    await db
      .insertInto('contact_errors')
      .values({
        connection_id: h.connectionId,
        subject: `person:${linked.id}`,
        person_id: linked.id,
        code: 'EMAIL_COLLISION',
      })
      .execute();
    const inSync = await db
      .selectFrom('links')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('connection_id', '=', h.connectionId)
      .where('state', '=', 'active')
      .executeTakeFirstOrThrow();

    const page = await h.browser.newPage({ viewport: { width: 1100, height: 900 } });
    await page.goto(`${h.t.publicUrl}/demo?screen=settings`);
    const frame = await extensionFrame(page, 'settings');
    await expect
      .poll(() => frame.locator('[data-testid=contacts-in-sync]').textContent())
      .toBe(`${Number(inSync.n)} ${Number(inSync.n) === 1 ? 'contact' : 'contacts'} in sync`);
    const dryRun = await frame.locator('[data-run-kind=dry_run]').textContent();
    expect(dryRun).toContain('120 to link by email');
    expect(dryRun).toContain('30 contacts to create in Constant Contact');
    expect(await frame.locator('[data-testid=settings-summary]').textContent()).toContain(
      'Direction: Pipedrive → Constant Contact',
    );
    expect(await frame.locator('[data-code=EMAIL_COLLISION]').textContent()).toContain(
      coreCodes.EMAIL_COLLISION.fix,
    );
    await page.screenshot({ path: `${SCREENSHOTS}settings.png`, fullPage: true });

    await frame.getByRole('button', { name: 'Pause' }).click();
    await frame.getByRole('button', { name: 'Resume' }).waitFor();
    expect(await page.locator('#snackbar').textContent()).toBe('Sync paused');
    const row = await db
      .selectFrom('connections')
      .select('status')
      .where('id', '=', h.connectionId)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('paused');
    await page.close();
  });

  it('both surfaces pass axe-core’s WCAG 2 A/AA checks, light and dark', async () => {
    for (const theme of ['light', 'dark']) {
      for (const [screen, kind] of [
        [`screen=settings`, 'settings'],
        [`screen=person&person=${linked.id}`, 'panel'],
        [`screen=person&person=${unlinked}`, 'panel'],
      ] as const) {
        const page = await h.browser.newPage();
        await page.goto(`${h.t.publicUrl}/demo?${screen}&theme=${theme}`);
        const frame = await extensionFrame(page, kind);
        await frame.waitForSelector(
          kind === 'settings' ? 'table.budget' : '[data-testid=link-state]',
        );
        expect({ theme, screen, violations: await accessibilityViolations(frame) }).toEqual({
          theme,
          screen,
          violations: [],
        });
        await page.close();
      }
    }
  });

  it('when no parent frame answers initialize, the page gives up with an error', async () => {
    const page = await h.browser.newPage();
    await page.clock.install();
    // Loaded as the top window with an SDK id: the SDK waits for a parent that never replies.
    await page.goto(`${h.t.publicUrl}/extension/panel.html?id=orphan&selectedIds=1`);
    await expect.poll(() => page.locator('[role=status]').textContent()).toContain('Connecting');
    await page.clock.runFor(9_000);
    await expect
      .poll(() => page.locator('[role=alert]').textContent())
      .toContain('Pipedrive did not answer');
    await page.close();
  });

  it('outside Pipedrive the page explains itself instead of spinning', async () => {
    const page = await h.browser.newPage();
    await page.goto(`${h.t.publicUrl}/extension/panel.html`);
    await expect
      .poll(() => page.locator('[role=alert]').textContent())
      .toContain('runs inside Pipedrive only');
    await page.close();
  });
});
