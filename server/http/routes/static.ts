/**
 * Serves the built extension (extension/dist, `npm run build:extension`) under /extension/:
 * the iframe URLs registered in Pipedrive are `${PUBLIC_URL}/extension/settings.html` and
 * `…/panel.html` (manifest.json). Without a build, every /extension/ URL answers a page saying
 * how to make one, rather than a bare 404 inside Pipedrive's iframe.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { page } from '../page.ts';

export const EXTENSION_DIST = fileURLToPath(new URL('../../../extension/dist', import.meta.url));

export async function staticRoutes(
  app: FastifyInstance,
  options: { root?: string } = {},
): Promise<void> {
  const root = options.root ?? EXTENSION_DIST;
  if (!existsSync(`${root}/settings.html`) || !existsSync(`${root}/panel.html`)) {
    app.log.warn({ root }, 'extension not built: run npm run build:extension');
    app.get('/extension/*', async (_request, reply) =>
      reply
        .code(503)
        .type('text/html')
        .send(
          page({
            title: 'The extension is not built',
            message: `This server has no built extension in ${root}. Run "npm run build:extension" and restart the app.`,
          }),
        ),
    );
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/extension/',
    // Hashed asset names never change content; the HTML entry pages must be re-read.
    setHeaders: (res, path) => {
      res.header(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
}
