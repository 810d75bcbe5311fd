/**
 * Standalone Constant Contact fake:
 *   npm run fake:constant-contact -- --port N --client-id ID --client-secret SECRET \
 *     --redirect-uri URI [--seed demo|empty|FILE] [--activity-delay-ms MS] [--no-rate-limits]
 * Prints its base URL and serves until stopped (SIGINT/SIGTERM).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { SeedInput, SeedSpec } from './demo.ts';
import { createConstantContactFake } from './server.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'client-id': { type: 'string' },
    'client-secret': { type: 'string' },
    'redirect-uri': { type: 'string', multiple: true },
    seed: { type: 'string', default: 'demo' },
    'activity-delay-ms': { type: 'string', default: '3000' },
    'no-rate-limits': { type: 'boolean', default: false },
  },
});

const clientId = values['client-id'];
const clientSecret = values['client-secret'];
const redirectUris = values['redirect-uri'] ?? [];
if (!clientId || !clientSecret || redirectUris.length === 0) {
  process.stderr.write(
    'usage: --port N --client-id ID --client-secret SECRET --redirect-uri URI [--seed demo|empty|FILE]\n',
  );
  process.exit(2);
}

const seedArg = values.seed ?? 'demo';
const seed: SeedInput =
  seedArg === 'demo' || seedArg === 'empty'
    ? seedArg
    : (JSON.parse(readFileSync(seedArg, 'utf8')) as SeedSpec);

const fake = createConstantContactFake({
  seed,
  apps: [{ clientId, clientSecret, redirectUri: redirectUris }],
  activityDelayMs: Number(values['activity-delay-ms']),
  rateLimits: { enabled: !values['no-rate-limits'] },
});
const baseUrl = await fake.listen(Number(values.port));
const summary = fake.control.summary();
process.stdout.write(
  `${baseUrl}\n` +
    `  API:     ${baseUrl}/v3\n` +
    `  OAuth:   ${baseUrl}/oauth2/default/v1/{authorize,token,revoke}\n` +
    `  Control: ${baseUrl}/__fake/store\n` +
    `  Approves consent for account ${summary.approveAccountId} (${summary.accounts.length} accounts seeded)\n`,
);

const stop = async (): Promise<void> => {
  await fake.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
