import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AppError, errorCatalogue } from '../../server/errors.ts';
import { coreCodes } from '../../server/sync/core/codes.ts';

function documentedRows(): Map<string, { status: number; message: string; fix: string }> {
  const text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, { status: number; message: string; fix: string }>();
  for (const match of text.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \| (.+?) \| (.+?) \|$/gm)) {
    rows.set(match[1] as string, {
      status: Number(match[2]),
      message: match[3] as string,
      fix: match[4] as string,
    });
  }
  return rows;
}

describe('error catalogue', () => {
  it('is documented in docs/errors.md, code for code and word for word', () => {
    const documented = documentedRows();
    expect([...documented.keys()].sort()).toEqual(Object.keys(errorCatalogue).sort());
    for (const [code, definition] of Object.entries(errorCatalogue)) {
      expect(documented.get(code), code).toEqual({
        status: definition.status,
        message: definition.message,
        fix: definition.fix,
      });
    }
  });

  it('gives every code a message and a fix written as sentences', () => {
    for (const [code, definition] of Object.entries(errorCatalogue)) {
      expect(definition.message, code).toMatch(/^[A-Z].*\.$/);
      expect(definition.fix, code).toMatch(/^[A-Z].*\.$/);
      expect(definition.status, code).toBeGreaterThanOrEqual(400);
    }
  });

  it('documents every per-contact code of the sync, word for word', () => {
    const text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
    const rows = new Map(
      [
        ...text.matchAll(/^\| `([A-Z_]+)` \| (exclusion|error|warning) \| (.+?) \| (.+?) \|$/gm),
      ].map((m) => [m[1] as string, { severity: m[2], message: m[3], fix: m[4] }]),
    );
    expect([...rows.keys()].sort()).toEqual(Object.keys(coreCodes).sort());
    for (const [code, definition] of Object.entries(coreCodes)) {
      expect(rows.get(code), code).toEqual({
        severity: definition.severity,
        message: definition.message,
        fix: definition.fix,
      });
    }
  });

  it('builds AppError from the catalogue', () => {
    const error = new AppError('REQUEST_INVALID', { detail: [{ path: 'direction' }] });
    expect(error.status).toBe(400);
    expect(error.message).toBe(errorCatalogue.REQUEST_INVALID.message);
    expect(error.fix).toBe(errorCatalogue.REQUEST_INVALID.fix);
    expect(error.detail).toEqual([{ path: 'direction' }]);
  });
});
