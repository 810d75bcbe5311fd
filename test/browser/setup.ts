/**
 * Browser tests: the real app with both fakes, installed and connected through the real OAuth
 * flows (server/demo/install.ts), the demo host page playing Pipedrive, headless Chromium
 * through playwright-core (../shared/reference/stack.md §13).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type Browser, chromium, type Frame, type Page } from 'playwright-core';
import { freePort } from '../../server/db/embedded.ts';
import { DEMO, type DemoFakes, startDemoFakes } from '../../server/demo/fakes.ts';
import { demoHostRoutes } from '../../server/demo/host.ts';
import { completeDemoInstall } from '../../server/demo/install.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const chromiumMissing = !existsSync(CHROMIUM);
if (chromiumMissing) {
  console.warn(
    `Skipping the browser tests: no Chromium at ${CHROMIUM}. Install it with "apt-get install -y chromium" (CI does).`,
  );
}

export interface BrowserHarness {
  t: TestApp;
  fakes: DemoFakes;
  browser: Browser;
  companyId: number;
  userId: number;
  connectionId: number;
  close(): Promise<void>;
}

export async function startHarness(): Promise<BrowserHarness> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const fakes = await startDemoFakes({
    publicUrl,
    ports: { pipedrive: 0, constantContact: 0 },
    webhookTimeScale: 0.001,
  });
  const t = await startTestApp({
    port,
    listen: true,
    env: { ...fakes.env, ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` },
    beforeReady: (app) => {
      void app.register(async (scope) =>
        demoHostRoutes(scope, {
          pipedrive: fakes.pipedrive,
          companyId: fakes.companyId,
          userId: fakes.adminUserId,
          jwtSecret: DEMO.jwtSecret,
        }),
      );
    },
  });
  const installed = await completeDemoInstall({
    publicUrl,
    db: t.database.db,
    jwtSecret: DEMO.jwtSecret,
    companyId: fakes.companyId,
  });
  const connection = await t.database.db
    .selectFrom('connections')
    .select('id')
    .where('company_id', '=', installed.companyId)
    .executeTakeFirstOrThrow();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    // stack.md §13; never --user-data-dir here (launch() makes a throwaway profile).
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
  return {
    t,
    fakes,
    browser,
    companyId: installed.companyId,
    userId: installed.userId,
    connectionId: Number(connection.id),
    close: async () => {
      await browser.close();
      await t.close();
      await fakes.stop();
    },
  };
}

/** The extension iframe (`settings` or `panel`) once its document has loaded. */
export async function extensionFrame(page: Page, kind: 'settings' | 'panel'): Promise<Frame> {
  const handle = await page.waitForSelector(`iframe[name=${kind}]`);
  const frame = await handle.contentFrame();
  if (!frame) throw new Error(`no ${kind} frame`);
  await frame.waitForLoadState();
  return frame;
}
