import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Keyring, signValue, verifySignedValue } from '../../server/crypto.ts';
import { signPanelJwt, verifyPanelJwt } from '../../server/pipedrive/jwt.ts';

const k1 = { id: 'k1', key: randomBytes(32) };
const k2 = { id: 'k2', key: randomBytes(32) };

describe('Keyring', () => {
  it('seals so that only the keyring opens, naming the key', () => {
    const ring = new Keyring([k1]);
    const sealed = ring.seal('refresh-token-value');
    expect(sealed).not.toContain('refresh-token-value');
    expect(sealed.split('.')[1]).toBe('k1');
    expect(ring.open(sealed)).toBe('refresh-token-value');
    expect(ring.seal('x')).not.toBe(ring.seal('x')); // random IV
  });

  it('rotates: a new first key seals, the old one still opens', () => {
    const old = new Keyring([k1]).seal('secret');
    const rotated = new Keyring([k2, k1]);
    expect(rotated.open(old)).toBe('secret');
    expect(rotated.isStale(old)).toBe(true);
    expect(rotated.isStale(rotated.seal('secret'))).toBe(false);
  });

  it('refuses tampered values and unknown keys with a clear message', () => {
    const ring = new Keyring([k1]);
    const sealed = ring.seal('secret');
    const parts = sealed.split('.');
    parts[4] = Buffer.from('forged').toString('base64url');
    expect(() => ring.open(parts.join('.'))).toThrow();
    expect(() => new Keyring([k2]).open(sealed)).toThrow(
      /key "k1", which is not in ENCRYPTION_KEYS/,
    );
    expect(() => ring.open('plain text')).toThrow(/not a sealed value/);
  });
});

describe('signed values', () => {
  const secret = randomBytes(32);
  it('round-trips within the expiry', () => {
    const value = signValue({ companyId: 7 }, secret, 300, 1_000_000);
    expect(verifySignedValue(value, secret, 1_000_000 + 299_000)).toMatchObject({
      ok: true,
      payload: { companyId: 7 },
    });
  });
  it('rejects expired, forged and malformed values', () => {
    const value = signValue({ companyId: 7 }, secret, 300, 1_000_000);
    expect(verifySignedValue(value, secret, 1_000_000 + 300_000)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(verifySignedValue(value, randomBytes(32), 1_000_000)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    const [, sig] = value.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ companyId: 8, exp: 9e9 })).toString(
      'base64url',
    );
    expect(verifySignedValue(`${forgedBody}.${sig}`, secret)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verifySignedValue('nonsense', secret)).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('panel JWT', () => {
  const secret = 'client-secret';
  const now = 1_800_000_000_000;
  it('accepts a token Pipedrive would sign and returns its claims', () => {
    const token = signPanelJwt({ userId: 5, companyId: 9 }, secret, { now });
    expect(verifyPanelJwt(token, secret, now + 60_000)).toMatchObject({
      ok: true,
      claims: { userId: 5, companyId: 9 },
    });
  });
  it('rejects forged, expired, alg-none and malformed tokens', () => {
    const token = signPanelJwt({ userId: 5, companyId: 9 }, secret, { now });
    expect(verifyPanelJwt(token, 'other-secret', now)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
    expect(verifyPanelJwt(token, secret, now + 331_000)).toEqual({ ok: false, reason: 'expired' });
    const [, claims] = token.split('.');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${claims}.`;
    expect(verifyPanelJwt(none, secret, now)).toEqual({ ok: false, reason: 'malformed' });
    expect(verifyPanelJwt('a.b', secret, now)).toEqual({ ok: false, reason: 'malformed' });
  });
});
