/**
 * The demo's automatic install: plays the admin's browser through the app's real OAuth flows,
 * with fetch and the cookies the app sets (as test/integration/install.integration.test.ts
 * does): Pipedrive install (`/auth/pipedrive` → the fake's consent → our callback), then
 * Constant Contact connect started the way the settings page starts it (a signed panel token →
 * `POST /api/constant-contact/connect` → `/auth/constant-contact?ticket=…` → consent → callback).
 *
 * It runs on every demo start, also when the database (which persists) already holds the
 * installation: the fakes live in memory, so after a restart they know neither our tokens nor
 * our webhook. Both flows are idempotent (the installation is upserted, the webhook reused, the
 * same CC account reconnected), so running them again is how the demo heals itself.
 */
import type { Database } from '../db/database.ts';
import { signPanelJwt } from '../pipedrive/jwt.ts';

export interface DemoInstallInput {
  publicUrl: string;
  db: Database;
  jwtSecret: string;
  companyId: number;
}

export interface DemoInstallResult {
  companyId: number;
  userId: number;
  ccAccountName: string | null;
}

export async function completeDemoInstall(input: DemoInstallInput): Promise<DemoInstallResult> {
  const pipedrive = await browse(`${input.publicUrl}/auth/pipedrive`);
  if (!pipedrive.includes('is installed')) {
    throw new Error(`The demo install did not complete: ${textOf(pipedrive)}`);
  }
  const installation = await input.db
    .selectFrom('installations')
    .select(['company_id', 'user_id'])
    .where('company_id', '=', input.companyId)
    .orderBy('updated_at', 'desc')
    .executeTakeFirstOrThrow();

  const token = signPanelJwt(
    { companyId: installation.company_id, userId: installation.user_id },
    input.jwtSecret,
  );
  const connect = await fetch(`${input.publicUrl}/api/constant-contact/connect`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  });
  if (!connect.ok)
    throw new Error(`Connect URL refused: ${connect.status} ${await connect.text()}`);
  const { url } = (await connect.json()) as { url: string };
  const cc = await browse(url);
  if (!cc.includes('Constant Contact connected')) {
    throw new Error(`The demo Constant Contact connect did not complete: ${textOf(cc)}`);
  }
  const connection = await input.db
    .selectFrom('connections')
    .select('cc_account_name')
    .where('company_id', '=', installation.company_id)
    .executeTakeFirst();
  return {
    companyId: installation.company_id,
    userId: installation.user_id,
    ccAccountName: connection?.cc_account_name ?? null,
  };
}

/**
 * Follows redirects by hand, carrying the cookies each host set (the OAuth state and PKCE
 * verifier cookies must reach our callback), and returns the final page's body.
 */
async function browse(start: string): Promise<string> {
  const jars = new Map<string, Map<string, string>>();
  let url = start;
  for (let hop = 0; hop < 10; hop++) {
    const host = new URL(url).host;
    const jar = jars.get(host) ?? new Map<string, string>();
    jars.set(host, jar);
    const response = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; ') },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair?.indexOf('=') ?? -1;
      if (pair && at > 0) jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      url = new URL(location, url).toString();
      continue;
    }
    return response.text();
  }
  throw new Error(`Too many redirects from ${start}`);
}

function textOf(html: string): string {
  return html
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 300);
}

/**
 * Sets the demo's sync up the way an admin would in the settings page, through the same API:
 * the default mapping offered for the demo accounts, two-way, Pipedrive wins conflicts, new
 * contacts on the given list, new persons owned by the admin; then Activate, which queues the
 * initial sync for this process's workers.
 *
 * The fakes start empty-handed on every start while the database persists, so what the last
 * run linked no longer exists on either side: the demo connection's sync state is cleared
 * first, and the initial sync runs again on the fresh demo accounts.
 */
export async function activateDemoSync(
  input: DemoInstallInput & { targetListId: string; ownerId: number },
): Promise<void> {
  const connection = await input.db
    .selectFrom('connections')
    .select('id')
    .where('company_id', '=', input.companyId)
    .executeTakeFirstOrThrow();
  await input.db.transaction().execute(async (trx) => {
    for (const table of [
      'links',
      'contact_events',
      'contact_errors',
      'sync_runs',
      'sync_intents',
      'engagement_state',
      'engagement_reports',
      'engagement_seen',
      'engagement_contacts',
    ] as const) {
      await trx.deleteFrom(table).where('connection_id', '=', connection.id).execute();
    }
    // The fake forgot the activity types the app created there.
    await trx
      .deleteFrom('engagement_activity_types')
      .where('company_id', '=', input.companyId)
      .execute();
    await trx
      .updateTable('connections')
      .set({ status: 'setup', cursors: '{}', cc_status_field_key: null })
      .where('id', '=', connection.id)
      .execute();
  });
  const installation = await input.db
    .selectFrom('installations')
    .select('user_id')
    .where('company_id', '=', input.companyId)
    .orderBy('updated_at', 'desc')
    .executeTakeFirstOrThrow();
  const api = async (method: string, path: string, body?: unknown) => {
    const token = signPanelJwt(
      { companyId: input.companyId, userId: installation.user_id },
      input.jwtSecret,
    );
    const response = await fetch(`${input.publicUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    if (!response.ok)
      throw new Error(`demo ${method} ${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, unknown>>;
  };
  const fields = await api('GET', '/api/fields');
  await api('PUT', '/api/settings', {
    direction: 'two_way',
    pipedriveSource: { kind: 'all' },
    ccSource: { kind: 'all' },
    targetListIds: [input.targetListId],
    newPersonOwnerId: input.ownerId,
    conflictWinner: 'pipedrive',
    mapping: fields.defaultMapping,
  });
  await api('POST', '/api/sync/activate');
}
