/**
 * Secrets at rest and signed values in transit.
 *
 * - `Keyring.seal/open`: AES-256-GCM with a random 96-bit IV. The sealed text names the key that
 *   sealed it (`v1.<kid>.<iv>.<tag>.<ciphertext>`, base64url), so keys can rotate: the first key
 *   in ENCRYPTION_KEYS seals, every listed key opens, and `npm run keys:rotate` re-seals old
 *   values under the first key.
 * - `signValue/verifySignedValue`: HMAC-SHA256 over a JSON payload with an expiry, for OAuth
 *   `state` and short-lived connect tickets. Stateless, so any process can check them.
 */

import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

export class Keyring {
  private readonly byId: Map<string, Buffer>;

  constructor(private readonly keys: readonly EncryptionKey[]) {
    if (keys.length === 0) throw new Error('Keyring needs at least one key (ENCRYPTION_KEYS)');
    for (const k of keys) if (k.key.length !== 32) throw new Error(`key ${k.id} is not 32 bytes`);
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  get currentKeyId(): string {
    return (this.keys[0] as EncryptionKey).id;
  }

  seal(plaintext: string): string {
    const { id, key } = this.keys[0] as EncryptionKey;
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', id, iv, cipher.getAuthTag(), ciphertext]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  open(sealed: string): string {
    const [version, id, iv, tag, ciphertext] = sealed.split('.');
    if (version !== 'v1' || !id || !iv || !tag || ciphertext === undefined) {
      throw new Error('not a sealed value');
    }
    const key = this.byId.get(id);
    if (!key) {
      throw new Error(
        `sealed with key "${id}", which is not in ENCRYPTION_KEYS: add it back to read this value`,
      );
    }
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([
      decipher.update(Buffer.from(ciphertext, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  }

  /** A key for another purpose (HMAC of OAuth state, tickets), derived from the current key. */
  derive(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', (this.keys[0] as EncryptionKey).key, '', purpose, 32));
  }

  /** True when the value was sealed with another key than the current one. */
  isStale(sealed: string): boolean {
    return sealed.split('.')[1] !== this.currentKeyId;
  }
}

/** `<payload base64url>.<hmac base64url>`; the payload carries `exp` in epoch seconds. */
export function signValue(
  payload: Record<string, unknown>,
  secret: string | Buffer,
  ttlSeconds: number,
  now = Date.now(),
): string {
  const body = Buffer.from(
    JSON.stringify({ ...payload, exp: Math.floor(now / 1000) + ttlSeconds }),
  ).toString('base64url');
  return `${body}.${hmac(body, secret)}`;
}

export type SignedValueResult =
  | { ok: true; payload: Record<string, unknown> }
  | { ok: false; reason: 'malformed' | 'bad_signature' | 'expired' };

export function verifySignedValue(
  value: string,
  secret: string | Buffer,
  now = Date.now(),
): SignedValueResult {
  const [body, signature, extra] = value.split('.');
  if (!body || !signature || extra !== undefined) return { ok: false, reason: 'malformed' };
  if (!safeEqual(signature, hmac(body, secret))) return { ok: false, reason: 'bad_signature' };
  let payload: Record<string, unknown>;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof payload.exp !== 'number' || payload.exp * 1000 <= now)
    return { ok: false, reason: 'expired' };
  return { ok: true, payload };
}

function hmac(data: string, secret: string | Buffer): string {
  return createHmac('sha256', secret).update(data).digest('base64url');
}

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export function randomSecret(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

/**
 * The demo has no ENCRYPTION_KEYS: it makes one key on first start and keeps it in DATA_DIR,
 * so tokens sealed by one run open in the next. Never used when credentials are configured
 * (config.ts then requires ENCRYPTION_KEYS).
 */
export function demoEncryptionKeys(dataDir: string): EncryptionKey[] {
  const file = join(dataDir, 'demo-secrets.json');
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, JSON.stringify({ encryptionKey: randomBytes(32).toString('base64') }), {
      mode: 0o600,
    });
  }
  const { encryptionKey } = JSON.parse(readFileSync(file, 'utf8')) as { encryptionKey: string };
  return [{ id: 'demo', key: Buffer.from(encryptionKey, 'base64') }];
}
