/**
 * Demo mode (config.demo: no Pipedrive credentials): the Pipedrive fake and the Constant
 * Contact fake run in this process on fixed loopback ports, each with the demo seed and one
 * OAuth app whose redirect URIs point at this app. The effective config (the fakes' client ids,
 * secrets and URLs, a JWT secret) is built here, before buildApp, so the app runs its real OAuth
 * flows against them. Nothing here runs outside demo mode; tests reuse it with port 0.
 */

import { DEMO_ACCOUNT_ID } from '../../test/fakes/constant-contact/demo.ts';
import {
  type ConstantContactFake,
  createConstantContactFake,
} from '../../test/fakes/constant-contact/server.ts';
import { createPipedriveFake, type PipedriveFake } from '../../test/fakes/pipedrive/server.ts';
import type { Config } from '../config.ts';

/**
 * Fixed, documented demo values (README "Demo mode"). They protect nothing: the fakes live in
 * this process, listen on 127.0.0.1 only, and hold generated demo data.
 */
export const DEMO = {
  ports: { pipedrive: 4101, constantContact: 4102 },
  pipedrive: { clientId: 'demo-pipedrive-client', clientSecret: 'demo-pipedrive-secret' },
  constantContact: { clientId: 'demo-cc-client', clientSecret: 'demo-cc-secret' },
  jwtSecret: 'demo-extension-jwt-secret',
} as const;

export interface DemoFakes {
  pipedrive: PipedriveFake;
  constantContact: ConstantContactFake;
  /** The demo company and its admin: the user the Pipedrive fake approves consent for. */
  companyId: number;
  adminUserId: number;
  /** The CC list the demo's new contacts go to. */
  targetListId: string;
  /** The same settings as environment variables (tests feed them to loadConfig). */
  env: Record<string, string>;
  /** The app's config with the fakes' OAuth clients and URLs filled in. */
  configFor(config: Readonly<Config>): Readonly<Config>;
  stop(): Promise<void>;
}

export interface DemoOptions {
  /** Where the browser reaches the app: the fakes redirect there. */
  publicUrl: string;
  /** 0 picks a free port (tests); the defaults are DEMO.ports. */
  ports?: { pipedrive: number; constantContact: number };
  /** Webhook retry schedule scale (tests run the 3/30/150 s retries in ms). */
  webhookTimeScale?: number;
}

export async function startDemoFakes(options: DemoOptions): Promise<DemoFakes> {
  const ports = options.ports ?? DEMO.ports;
  const pipedrive = createPipedriveFake({
    seed: 'demo',
    apps: [
      {
        clientId: DEMO.pipedrive.clientId,
        clientSecret: DEMO.pipedrive.clientSecret,
        redirectUri: `${options.publicUrl}/auth/pipedrive/callback`,
        // Pipedrive has one callback URL; it also receives the uninstall DELETE (§11).
        callbackUrl: `${options.publicUrl}/auth/pipedrive/callback`,
      },
    ],
    ...(options.webhookTimeScale ? { webhookTimeScale: options.webhookTimeScale } : {}),
  });
  const constantContact = createConstantContactFake({
    seed: 'demo',
    apps: [
      {
        clientId: DEMO.constantContact.clientId,
        clientSecret: DEMO.constantContact.clientSecret,
        redirectUri: `${options.publicUrl}/auth/constant-contact/callback`,
      },
    ],
  });
  await listenOrFallBack(pipedrive, ports.pipedrive);
  await listenOrFallBack(constantContact, ports.constantContact);

  const first = pipedrive.store.companies.values().next().value;
  const admin = first ? [...first.users.values()].find((u) => u.isAdmin) : undefined;
  if (!first || !admin) throw new Error('The Pipedrive demo seed has no company with an admin');
  // New contacts go to the demo account's newsletter list.
  const newsletter = [...constantContact.store.account(DEMO_ACCOUNT_ID).lists.values()].find(
    (l) => l.name === 'Newsletter',
  );
  if (!newsletter) throw new Error('The Constant Contact demo seed has no Newsletter list');

  const env = {
    PIPEDRIVE_CLIENT_ID: DEMO.pipedrive.clientId,
    PIPEDRIVE_CLIENT_SECRET: DEMO.pipedrive.clientSecret,
    PIPEDRIVE_OAUTH_URL: pipedrive.baseUrl,
    PIPEDRIVE_JWT_SECRET: DEMO.jwtSecret,
    CC_CLIENT_ID: DEMO.constantContact.clientId,
    CC_CLIENT_SECRET: DEMO.constantContact.clientSecret,
    CC_OAUTH_URL: constantContact.baseUrl,
    CC_API_URL: constantContact.baseUrl,
  };
  return {
    pipedrive,
    constantContact,
    companyId: first.company.id,
    adminUserId: admin.id,
    targetListId: newsletter.list_id,
    env,
    configFor: (config) =>
      Object.freeze({
        ...config,
        pipedrive: {
          clientId: DEMO.pipedrive.clientId,
          clientSecret: DEMO.pipedrive.clientSecret,
          oauthUrl: pipedrive.baseUrl,
          jwtSecret: DEMO.jwtSecret,
        },
        constantContact: {
          clientId: DEMO.constantContact.clientId,
          clientSecret: DEMO.constantContact.clientSecret,
          oauthUrl: constantContact.baseUrl,
          apiUrl: constantContact.baseUrl,
        },
      }),
    stop: async () => {
      await Promise.allSettled([pipedrive.close(), constantContact.close()]);
    },
  };
}

/**
 * The documented port, or any free one when it is taken (the caller prints what it got).
 * Trying the port itself, not probing first, leaves no gap for another process to take it.
 */
async function listenOrFallBack(
  fake: { listen(port?: number): Promise<string> },
  port: number,
): Promise<void> {
  try {
    await fake.listen(port);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw error;
    await fake.listen(0);
  }
}
