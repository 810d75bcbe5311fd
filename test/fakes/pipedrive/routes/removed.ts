/**
 * v1 person and activity endpoints that went out of support on 2026-08-01 and are gone from
 * SPEC-V1 (reference 2.8). The fake answers 410 Gone with the error envelope, so an app that
 * still calls them fails loudly in tests. (Whether Pipedrive answers 404 or 410 once they are
 * removed is not documented; 410 is the fake's choice.)
 */
import type { FastifyInstance } from 'fastify';
import { PIPEDRIVE_API } from '../../../../server/pipedrive/provider.ts';
import { errorBody } from '../api.ts';

const REMOVED: Array<[method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string]> = [
  ['GET', '/persons'],
  ['POST', '/persons'],
  ['DELETE', '/persons'],
  ['GET', '/persons/search'],
  ['GET', '/persons/:id'],
  ['PUT', '/persons/:id'],
  ['DELETE', '/persons/:id'],
  ['GET', '/activities'],
  ['POST', '/activities'],
  ['GET', '/activities/:id'],
  ['PUT', '/activities/:id'],
  ['DELETE', '/activities/:id'],
];

export function registerRemovedRoutes(app: FastifyInstance): void {
  for (const prefix of PIPEDRIVE_API.v1Prefixes) {
    for (const [method, path] of REMOVED) {
      app.route({
        method,
        url: `${prefix}${path}`,
        handler: (_req, reply) =>
          reply.code(410).send(
            errorBody(410, 'This API v1 endpoint is no longer available; use API v2', {
              error_info: 'See the v2 migration guide',
            }),
          ),
      });
    }
  }
}
