/**
 * Structured JSON logs (pino) that never carry a secret. Three layers, because secrets reach
 * logs by different roads: headers (redact paths), OAuth codes and tokens in query strings
 * (the request serializer), and tokens inside error messages from HTTP clients (the error
 * serializer scrubs Bearer/Basic credentials and token-looking key=value pairs).
 */
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'cookie',
  'password',
  'secret',
  'client_secret',
  'clientSecret',
  'token',
  'access_token',
  'accessToken',
  'refresh_token',
  'refreshToken',
  'code_verifier',
  'encryptionKeys',
];

const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.Authorization',
  'err.config.headers.Authorization',
  'err.config.headers.authorization',
  'err.config.data',
  'err.request',
  'err.response.config',
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((key) => `*.${key}`),
];

const SECRET_QUERY =
  /^(code|state|ticket|token|access_token|refresh_token|client_secret|password|jwt)$/i;

/** Replaces the values of secret-looking query parameters. */
export function scrubUrl(url: string): string {
  const at = url.indexOf('?');
  if (at < 0) return url;
  const params = new URLSearchParams(url.slice(at + 1));
  for (const key of [...params.keys()]) {
    if (SECRET_QUERY.test(key)) params.set(key, '[redacted]');
  }
  return `${url.slice(0, at)}?${params.toString()}`;
}

/** Removes credentials that clients and servers tend to echo into error text. */
export function scrubText(text: string): string {
  return text
    .replace(/\b(Bearer|Basic)\s+[\w\-.~+/=]+/gi, '$1 [redacted]')
    .replace(
      /\b(access_token|refresh_token|client_secret|code_verifier|password|token)(["']?\s*[:=]\s*["']?)[^\s"'&,}]+/gi,
      '$1$2[redacted]',
    );
}

export function createLogger(
  options: { level?: string; stream?: DestinationStream; name?: string } = {},
): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      name: options.name,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: {
          method: string;
          url: string;
          hostname?: string;
          ip?: string;
          id?: string;
        }) => ({
          id: req.id,
          method: req.method,
          url: scrubUrl(req.url),
          hostname: req.hostname,
          remoteAddress: req.ip,
        }),
        err: (error: Error) => {
          const serialized = pino.stdSerializers.err(error);
          serialized.message = scrubText(serialized.message ?? '');
          serialized.stack = scrubText(serialized.stack ?? '');
          return serialized;
        },
      },
    },
    options.stream,
  );
}
