/**
 * manifest.json is the Developer Hub checklist (README "Registering the app in Pipedrive"):
 * its scopes must be the ones the app asks for, each with a reason, and its URLs must name the
 * routes and extension pages that exist.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PIPEDRIVE_APP_SCOPES } from '../../server/pipedrive/provider.ts';

const root = new URL('../../', import.meta.url);
/** The placeholder the manifest uses for the app's public URL (not a template string). */
const PUBLIC = '$' + '{PUBLIC_URL}';
const manifest = JSON.parse(readFileSync(new URL('manifest.json', root), 'utf8')) as {
  oauth: {
    callbackUrl: string;
    installationUrl: string;
    uninstallCallback: string;
    scopes: { scope: string; why: string }[];
  };
  appExtensions: { type: string; iframeUrl: string }[];
};

describe('manifest.json', () => {
  it('lists exactly the scopes the app requests, each with why', () => {
    expect(manifest.oauth.scopes.map((s) => s.scope).sort()).toEqual(
      [...PIPEDRIVE_APP_SCOPES].sort(),
    );
    for (const s of manifest.oauth.scopes) expect(s.why.length).toBeGreaterThan(20);
  });

  it('names the OAuth routes of server/http/routes/oauth.ts', () => {
    const routes = readFileSync(new URL('server/http/routes/oauth.ts', root), 'utf8');
    expect(manifest.oauth.installationUrl).toBe(`${PUBLIC}/auth/pipedrive`);
    expect(manifest.oauth.callbackUrl).toBe(`${PUBLIC}/auth/pipedrive/callback`);
    expect(manifest.oauth.uninstallCallback).toBe(manifest.oauth.callbackUrl);
    expect(routes).toContain("startRedirectPath: '/auth/pipedrive'");
    expect(routes).toContain("app.get('/auth/pipedrive/callback'");
    expect(routes).toContain("app.delete('/auth/pipedrive/callback'");
  });

  it('points both extensions at pages the extension build has', () => {
    expect(manifest.appExtensions.map((e) => e.iframeUrl)).toEqual([
      `${PUBLIC}/extension/settings.html`,
      `${PUBLIC}/extension/panel.html`,
    ]);
    for (const e of manifest.appExtensions) {
      const page = e.iframeUrl.replace(`${PUBLIC}/extension/`, '');
      expect(existsSync(new URL(`extension/${page}`, root))).toBe(true);
    }
  });
});
