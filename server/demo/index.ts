/**
 * Demo mode for `npm start` without Pipedrive credentials (README "Demo mode"). main.ts loads
 * this module only when config.demo is true, so production never imports the fakes:
 *
 *   const demo = await startDemo(config, publicUrl)    // before buildApp: fakes + config
 *   await demo.routes(app)                             // the host page at /demo
 *   await demo.completeInstall(db)                     // after listen: OAuth flows, then Activate
 *   console.log(demo.banner())                         // the one URL to open
 *   demo.stop()                                        // in the shutdown list
 */
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import { DEMO, startDemoFakes } from './fakes.ts';
import { demoHostRoutes } from './host.ts';
import { activateDemoSync, completeDemoInstall, type DemoInstallResult } from './install.ts';

export interface Demo {
  /** The config the app runs with: the fakes' OAuth clients and URLs. */
  config: Readonly<Config>;
  pipedriveUrl: string;
  constantContactUrl: string;
  routes(app: FastifyInstance): Promise<void>;
  completeInstall(db: Database): Promise<DemoInstallResult>;
  /** What `npm start` prints last: the one URL to open (and the fakes' ports if they moved). */
  banner(): string;
  stop(): Promise<void>;
}

export async function startDemo(config: Readonly<Config>, publicUrl: string): Promise<Demo> {
  const fakes = await startDemoFakes({ publicUrl });
  const effective = fakes.configFor(config);
  return {
    config: effective,
    pipedriveUrl: fakes.pipedrive.baseUrl,
    constantContactUrl: fakes.constantContact.baseUrl,
    routes: (app) =>
      demoHostRoutes(app, {
        pipedrive: fakes.pipedrive,
        companyId: fakes.companyId,
        userId: fakes.adminUserId,
        jwtSecret: DEMO.jwtSecret,
      }),
    completeInstall: async (db) => {
      const input = { publicUrl, db, jwtSecret: DEMO.jwtSecret, companyId: fakes.companyId };
      const installed = await completeDemoInstall(input);
      await activateDemoSync({
        ...input,
        targetListId: fakes.targetListId,
        ownerId: fakes.adminUserId,
      });
      return installed;
    },
    banner: () => {
      const moved = [
        fakes.pipedrive.baseUrl.endsWith(`:${DEMO.ports.pipedrive}`)
          ? null
          : `Pipedrive fake on ${fakes.pipedrive.baseUrl} (port ${DEMO.ports.pipedrive} was taken)`,
        fakes.constantContact.baseUrl.endsWith(`:${DEMO.ports.constantContact}`)
          ? null
          : `Constant Contact fake on ${fakes.constantContact.baseUrl} (port ${DEMO.ports.constantContact} was taken)`,
      ].filter(Boolean);
      return [`\n  Demo ready: open ${publicUrl}/demo`, ...moved.map((m) => `  ${m}`), ''].join(
        '\n',
      );
    },
    stop: fakes.stop,
  };
}
