/**
 * The demo's stand-in for Pipedrive's web app, at `/demo`: a host page that frames the two
 * extension surfaces the way Pipedrive does (iframe URL parameters §10.2, the SDK's
 * postMessage protocol §10.5 of ../shared/reference/pipedrive-api.md), plus the few
 * demo-only endpoints it needs: a token minted like Pipedrive mints it (signPanelJwt, §10.3),
 * the demo company's persons from the Pipedrive fake, and person edits made "in the Pipedrive
 * UI" (the fake's `ui.updatePerson`, which fires the webhook to this app).
 *
 * Registered only in demo mode (main.ts) and by the browser tests; production never has it.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { PipedriveFake } from '../../test/fakes/pipedrive/server.ts';
import { signPanelJwt } from '../pipedrive/jwt.ts';
import { hostPage } from './host-page.ts';

export interface DemoHostOptions {
  pipedrive: PipedriveFake;
  companyId: number;
  /** The admin who installed the app (the Pipedrive fake approves consent as this user). */
  userId: number;
  jwtSecret: string;
}

const personEdit = z
  .object({
    name: z.string().trim().min(1).max(255).optional(),
    email: z.string().trim().max(255).optional(),
    job_title: z.string().trim().max(255).optional(),
  })
  .strict();

export async function demoHostRoutes(app: FastifyInstance, options: DemoHostOptions) {
  const { pipedrive, companyId } = options;
  const company = () => {
    const found = pipedrive.store.company(companyId);
    if (!found) throw new Error(`The Pipedrive fake has no company ${companyId}`);
    return found;
  };
  app.get('/demo', async (_request, reply) => reply.type('text/html').send(hostPage()));

  app.get('/demo/api/context', async () => ({
    companyId,
    userId: options.userId,
    companyName: company().company.name,
    persons: [...company().persons.values()]
      .filter((p) => !p.is_deleted)
      .slice(0, 50)
      .map(personView),
  }));

  // Pipedrive signs these with the extension's JWT secret for 5 minutes (§10.3); `ttl` lets
  // the page and the tests hand out an already expired one.
  app.get('/demo/api/token', async (request) => {
    const { ttl } = z.object({ ttl: z.coerce.number().int().default(300) }).parse(request.query);
    return {
      token: signPanelJwt({ companyId, userId: options.userId }, options.jwtSecret, {
        ttlSeconds: ttl,
      }),
    };
  });

  app.get('/demo/api/persons/:id', async (request, reply) => {
    const { id } = z.object({ id: z.coerce.number().int().positive() }).parse(request.params);
    const person = company().persons.get(id);
    if (!person || person.is_deleted) return reply.code(404).send({ error: 'No such person' });
    return personView(person);
  });

  app.patch('/demo/api/persons/:id', async (request, reply) => {
    const { id } = z.object({ id: z.coerce.number().int().positive() }).parse(request.params);
    const edit = personEdit.parse(request.body ?? {});
    const body: Record<string, unknown> = {};
    if (edit.name !== undefined) body.name = edit.name;
    if (edit.job_title !== undefined) body.job_title = edit.job_title || null;
    if (edit.email !== undefined) {
      const person = company().persons.get(id);
      const others = (person?.emails ?? []).slice(1).map((e) => ({ ...e, primary: false }));
      body.emails = edit.email
        ? [{ value: edit.email, primary: true, label: 'work' }, ...others]
        : others;
    }
    try {
      const updated = pipedrive.control.ui.updatePerson(companyId, id, body);
      return personView(updated);
    } catch (error) {
      return reply
        .code(400)
        .send({ error: error instanceof Error ? error.message : 'Pipedrive refused the edit' });
    }
  });
}

function personView(person: {
  id: number;
  name: string;
  emails: { value: string }[];
  job_title: string | null;
}) {
  return {
    id: person.id,
    name: person.name,
    email: person.emails[0]?.value ?? null,
    jobTitle: person.job_title,
  };
}
