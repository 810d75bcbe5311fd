import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, configKeys, loadConfig } from '../../server/config.ts';

const key = `k1:${Buffer.alloc(32, 7).toString('base64')}`;

function problemsOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('starts in demo mode on loopback with no environment at all', () => {
    const config = loadConfig({});
    expect(config.demo).toBe(true);
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.budgets).toEqual({ pipedriveShare: 0.5, ccPerSecond: 4, ccPerDay: 10_000 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads a production configuration', () => {
    const config = loadConfig({
      PIPEDRIVE_CLIENT_ID: 'pd-id',
      PIPEDRIVE_CLIENT_SECRET: 'pd-secret',
      PUBLIC_URL: 'https://sync.example.com/',
      ENCRYPTION_KEYS: `${key},old:${Buffer.alloc(32, 1).toString('base64')}`,
      DATABASE_URL: 'postgres://u:p@db:5432/app',
      PORT: '8080',
    });
    expect(config.demo).toBe(false);
    expect(config.publicUrl).toBe('https://sync.example.com');
    expect(config.encryptionKeys.map((k) => k.id)).toEqual(['k1', 'old']);
    expect(config.pipedrive?.oauthUrl).toBe('https://oauth.pipedrive.com');
    expect(config.port).toBe(8080);
  });

  it('lists every bad variable with how to fix it, in one error', () => {
    const error = problemsOf({ PORT: 'eighty', LOG_LEVEL: 'loud', DATABASE_URL: 'mysql://x/y' });
    expect(error.problems.map((p) => p.variable).sort()).toEqual([
      'DATABASE_URL',
      'LOG_LEVEL',
      'PORT',
    ]);
    for (const problem of error.problems) expect(problem.fix.length).toBeGreaterThan(10);
    expect(error.message).toContain('Invalid configuration (3 problems)');
    expect(error.message).toContain('PORT must be a port number');
    expect(error.message).toContain(
      'LOG_LEVEL must be one of: fatal, error, warn, info, debug, trace',
    );
  });

  it('reports rules across variables together with field problems', () => {
    const error = problemsOf({ PIPEDRIVE_CLIENT_ID: 'id', CC_CLIENT_SECRET: 's', PORT: '-1' });
    expect(error.problems.map((p) => p.variable).sort()).toEqual([
      'CC_CLIENT_ID',
      'ENCRYPTION_KEYS',
      'PIPEDRIVE_CLIENT_SECRET',
      'PORT',
      'PUBLIC_URL',
    ]);
  });

  it('never echoes a value, which may be a secret', () => {
    const error = problemsOf({ ENCRYPTION_KEYS: 'k1:not-a-real-key-but-secret-looking' });
    expect(error.message).not.toContain('not-a-real-key-but-secret-looking');
    expect(error.problems[0]?.variable).toBe('ENCRYPTION_KEYS');
  });

  it('is documented: .env.example lists exactly the keys the schema reads', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    const documented = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...configKeys].sort());
  });
});
