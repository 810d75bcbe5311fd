/**
 * Liveness and readiness. /healthz says the process is up; /readyz says it can do work: the
 * database answers, the job queue's schema is there, and shutdown has not begun.
 */

import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { AppDeps } from '../../app.ts';
import { AppError } from '../../errors.ts';

export async function healthRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async () => {
    if (deps.lifecycle.shuttingDown) throw new AppError('SHUTTING_DOWN');
    try {
      await sql`select 1`.execute(deps.db);
    } catch (cause) {
      throw new AppError('DATABASE_UNAVAILABLE', { cause });
    }
    let queueReady = false;
    try {
      queueReady = await deps.boss.isInstalled();
    } catch (cause) {
      throw new AppError('QUEUE_UNAVAILABLE', { cause });
    }
    if (!queueReady) throw new AppError('QUEUE_UNAVAILABLE');
    return { status: 'ready' };
  });
}
