/**
 * Standalone Pipedrive fake:
 *   npm run fake:pipedrive -- --port N --client-id ID --client-secret SECRET --redirect-uri URI
 *     [--callback-url URI] [--seed demo|empty|FILE.json] [--no-rate-limits]
 * Registers the OAuth app, auto-approves authorization for the first seeded company's admin,
 * prints the base URL and serves until stopped.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { SeedSpec } from './demo.ts';
import { createPipedriveFake } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string' },
    'callback-url': { type: 'string' },
    seed: { type: 'string', default: 'demo' },
    'no-rate-limits': { type: 'boolean', default: false },
  },
});

const clientId = values['client-id'];
const clientSecret = values['client-secret'];
const redirectUri = values['redirect-uri'];
if (!clientId || !clientSecret || !redirectUri) {
  process.stderr.write(
    'usage: --port N --client-id ID --client-secret SECRET --redirect-uri URI [--seed demo|empty|FILE]\n',
  );
  process.exit(2);
}
const seedArg = values.seed ?? 'demo';
const seed =
  seedArg === 'demo' || seedArg === 'empty'
    ? seedArg
    : (JSON.parse(readFileSync(seedArg, 'utf8')) as SeedSpec);

const fake = createPipedriveFake({
  seed,
  apps: [
    {
      clientId,
      clientSecret,
      redirectUri,
      ...(values['callback-url'] ? { callbackUrl: values['callback-url'] } : {}),
    },
  ],
  rateLimits: { enabled: !values['no-rate-limits'] },
});
const url = await fake.listen(Number(values.port));
const first = fake.store.companies.values().next().value;
process.stdout.write(`${url}\n`);
if (first) {
  const admin = [...first.users.values()].find((u) => u.isAdmin);
  process.stderr.write(
    `company ${first.company.id} "${first.company.name}", admin user ${admin?.id} approves /oauth/authorize\n`,
  );
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    fake.close().then(() => process.exit(0));
  });
}
