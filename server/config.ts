/**
 * The one reader of process.env. A single zod schema turns the environment into a frozen
 * Config; a bad environment fails with one message that lists every bad variable and how to
 * fix it (main.ts prints it and exits 1).
 */
import { z } from 'zod';

const optionalText = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

const url = (what: string) =>
  z.url({ error: `must be a URL such as ${what}` }).transform((v) => v.replace(/\/+$/, ''));

const fraction = z.coerce
  .number({ error: 'must be a number between 0 and 1' })
  .gt(0, { error: 'must be greater than 0' })
  .max(1, { error: 'must be at most 1' });

const positiveInt = z.coerce
  .number({ error: 'must be a whole number' })
  .int({ error: 'must be a whole number' })
  .positive({ error: 'must be greater than 0' });

/** `kid:base64key` pairs, comma-separated; the first one encrypts, all of them decrypt. */
const encryptionKeys = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const keys: { id: string; key: Buffer }[] = [];
    for (const part of text
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const [id, encoded] = part.split(':');
      const key = Buffer.from(encoded ?? '', 'base64');
      if (!id || !/^[\w-]+$/.test(id) || key.length !== 32) {
        ctx.addIssue({
          code: 'custom',
          message: 'each entry must be "<key id>:<32 bytes in base64>"',
        });
        return z.NEVER;
      }
      keys.push({ id, key });
    }
    return keys;
  });

/** How to fix each variable, printed next to its problem. */
export const configHints: Record<string, string> = {
  PORT: 'set a free TCP port, e.g. PORT=3000',
  HOST: 'use 127.0.0.1 for local use, or 0.0.0.0 behind a reverse proxy',
  PUBLIC_URL: 'set the https URL Pipedrive reaches this app at, e.g. https://sync.example.com',
  DATABASE_URL:
    'use postgres://user:password@host:5432/db, or leave it unset for the embedded Postgres',
  DATA_DIR: 'a writable folder for the embedded Postgres and demo secrets, e.g. .data',
  LOG_LEVEL: 'one of fatal, error, warn, info, debug, trace',
  PIPEDRIVE_CLIENT_ID:
    'copy it from Developer Hub → your app → OAuth & access scopes, or unset both Pipedrive variables for the demo',
  PIPEDRIVE_CLIENT_SECRET: 'copy it from Developer Hub → your app → OAuth & access scopes',
  PIPEDRIVE_OAUTH_URL: 'leave unset for https://oauth.pipedrive.com',
  PIPEDRIVE_JWT_SECRET:
    'copy it from Developer Hub → your app → App extensions, or leave unset if you set none (the client secret signs then)',
  CC_CLIENT_ID: 'copy the API key from the Constant Contact developer portal → My Applications',
  CC_CLIENT_SECRET: 'generate a client secret in the Constant Contact developer portal',
  CC_OAUTH_URL: 'leave unset for https://authz.constantcontact.com',
  CC_API_URL: 'leave unset for https://api.cc.email',
  ENCRYPTION_KEYS:
    "generate one with: node -e \"console.log('k1:'+require('crypto').randomBytes(32).toString('base64'))\"",
  PIPEDRIVE_BUDGET_SHARE:
    "the share of the company's daily Pipedrive token budget the app may spend, e.g. 0.5",
  CC_REQUESTS_PER_SECOND:
    'Constant Contact allows 4 per application key; lower it to leave room for other tools',
  CC_REQUESTS_PER_DAY: 'Constant Contact allows 10000 per application key and day',
  WORKER_CONCURRENCY: 'how many jobs one worker process runs at once, e.g. 4',
  SHUTDOWN_TIMEOUT_MS: 'how long shutdown waits for requests and jobs in flight, e.g. 15000',
};

const schema = z.object({
  PORT: z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535).default(3000),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PUBLIC_URL: url('https://sync.example.com').optional(),
  DATABASE_URL: z
    .string()
    .trim()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(
      z
        .string()
        .regex(/^postgres(ql)?:\/\//, { error: 'must start with postgres://' })
        .optional(),
    )
    .optional(),
  DATA_DIR: z.string().trim().min(1).default('.data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
  PIPEDRIVE_CLIENT_ID: optionalText,
  PIPEDRIVE_CLIENT_SECRET: optionalText,
  PIPEDRIVE_OAUTH_URL: url('https://oauth.pipedrive.com').default('https://oauth.pipedrive.com'),
  PIPEDRIVE_JWT_SECRET: optionalText,
  CC_CLIENT_ID: optionalText,
  CC_CLIENT_SECRET: optionalText,
  CC_OAUTH_URL: url('https://authz.constantcontact.com').default(
    'https://authz.constantcontact.com',
  ),
  CC_API_URL: url('https://api.cc.email').default('https://api.cc.email'),
  ENCRYPTION_KEYS: encryptionKeys.optional(),
  PIPEDRIVE_BUDGET_SHARE: fraction.default(0.5),
  CC_REQUESTS_PER_SECOND: positiveInt.default(4),
  CC_REQUESTS_PER_DAY: positiveInt.default(10_000),
  WORKER_CONCURRENCY: positiveInt.default(4),
  SHUTDOWN_TIMEOUT_MS: positiveInt.default(15_000),
});

/**
 * Rules across variables, checked on the raw environment so they are reported together with
 * the per-variable problems (zod skips object refinements once a field fails).
 */
function crossProblems(
  env: Record<string, string | undefined>,
): { variable: string; problem: string }[] {
  const set = (key: string) => Boolean(env[key]?.trim());
  const problems: { variable: string; problem: string }[] = [];
  for (const [a, b] of [
    ['PIPEDRIVE_CLIENT_ID', 'PIPEDRIVE_CLIENT_SECRET'],
    ['CC_CLIENT_ID', 'CC_CLIENT_SECRET'],
  ] as const) {
    if (set(a) !== set(b)) {
      const [missing, present] = set(a) ? [b, a] : [a, b];
      problems.push({ variable: missing, problem: `is required when ${present} is set` });
    }
  }
  if (set('PIPEDRIVE_CLIENT_ID')) {
    if (!set('ENCRYPTION_KEYS'))
      problems.push({
        variable: 'ENCRYPTION_KEYS',
        problem: 'is required when Pipedrive credentials are set (tokens are encrypted at rest)',
      });
    if (!set('PUBLIC_URL'))
      problems.push({
        variable: 'PUBLIC_URL',
        problem:
          'is required when Pipedrive credentials are set (OAuth callbacks and webhooks use it)',
      });
  }
  return problems;
}

export type Env = z.output<typeof schema>;

export interface Config {
  port: number;
  host: string;
  /** Where Pipedrive and browsers reach us; defaults to http://HOST:PORT in demo mode. */
  publicUrl: string | undefined;
  databaseUrl: string | undefined;
  dataDir: string;
  logLevel: Env['LOG_LEVEL'];
  /** No Pipedrive credentials: run the demo on the simulated accounts. */
  demo: boolean;
  pipedrive:
    | { clientId: string; clientSecret: string; oauthUrl: string; jwtSecret: string }
    | undefined;
  constantContact:
    | { clientId: string; clientSecret: string; oauthUrl: string; apiUrl: string }
    | undefined;
  encryptionKeys: { id: string; key: Buffer }[];
  budgets: { pipedriveShare: number; ccPerSecond: number; ccPerDay: number };
  workerConcurrency: number;
  shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; problem: string; fix: string }[]) {
    super(
      [
        `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):`,
        ...problems.map((p) => `  ${p.variable} ${p.problem}.\n    Fix: ${p.fix}.`),
        'See .env.example for every setting.',
      ].join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: Record<string, string | undefined>): Readonly<Config> {
  const parsed = schema.safeParse(env);
  const problems = [
    ...(parsed.error?.issues ?? []).map((issue) => ({
      variable: String(issue.path[0] ?? 'environment'),
      // Never echo the value: it may be a secret.
      problem:
        issue.code === 'invalid_value'
          ? `must be one of: ${issue.values.join(', ')}`
          : issue.message,
    })),
    ...crossProblems(env),
  ].map((p) => ({ ...p, fix: configHints[p.variable] ?? 'see .env.example' }));
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const e = parsed.data;
  return Object.freeze({
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL,
    databaseUrl: e.DATABASE_URL,
    dataDir: e.DATA_DIR,
    logLevel: e.LOG_LEVEL,
    demo: !e.PIPEDRIVE_CLIENT_ID,
    pipedrive:
      e.PIPEDRIVE_CLIENT_ID && e.PIPEDRIVE_CLIENT_SECRET
        ? {
            clientId: e.PIPEDRIVE_CLIENT_ID,
            clientSecret: e.PIPEDRIVE_CLIENT_SECRET,
            oauthUrl: e.PIPEDRIVE_OAUTH_URL,
            // §10.3: extension tokens are signed with the JWT secret, else the client secret.
            jwtSecret: e.PIPEDRIVE_JWT_SECRET ?? e.PIPEDRIVE_CLIENT_SECRET,
          }
        : undefined,
    constantContact:
      e.CC_CLIENT_ID && e.CC_CLIENT_SECRET
        ? {
            clientId: e.CC_CLIENT_ID,
            clientSecret: e.CC_CLIENT_SECRET,
            oauthUrl: e.CC_OAUTH_URL,
            apiUrl: e.CC_API_URL,
          }
        : undefined,
    encryptionKeys: e.ENCRYPTION_KEYS ?? [],
    budgets: {
      pipedriveShare: e.PIPEDRIVE_BUDGET_SHARE,
      ccPerSecond: e.CC_REQUESTS_PER_SECOND,
      ccPerDay: e.CC_REQUESTS_PER_DAY,
    },
    workerConcurrency: e.WORKER_CONCURRENCY,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  });
}

/** The environment keys the schema reads: .env.example must list exactly these. */
export const configKeys = Object.keys(configHints);
