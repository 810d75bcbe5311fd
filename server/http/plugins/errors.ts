/**
 * One error handler for every route: `{ error: { code, message, fix, requestId, detail? } }`.
 * Codes come from the closed catalogue (server/errors.ts). A 5xx never shows its internals:
 * the real error goes to the log under the request id the client sees.
 */
import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ZodError } from 'zod';
import { toAppError as providerAppError } from '../../api/app-error.ts';
import { AppError, type ErrorCode, errorCatalogue, isAppError } from '../../errors.ts';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; fix: string; requestId: string; detail?: unknown };
}

function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  // A provider call that failed for the whole connection (reauth, budget, outage) while a
  // panel or the settings page waited: its catalogue code says what to do, not INTERNAL.
  const provider = providerAppError(error);
  if (provider) return provider;
  if (error instanceof ZodError) {
    return new AppError('REQUEST_INVALID', {
      detail: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      cause: error,
    });
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new AppError('REQUEST_TOO_LARGE', { cause: error });
  }
  const status = fastifyError.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    // Fastify's own client errors (bad JSON, unsupported media type…): their message is safe.
    return new AppError('REQUEST_INVALID', { detail: fastifyError.message, cause: error });
  }
  return new AppError('INTERNAL', { cause: error });
}

export const errorsPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error, request, reply) => {
      const appError = toAppError(error);
      if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
      const body: ErrorBody = {
        error: {
          code: appError.code,
          message: appError.message,
          fix: appError.fix,
          requestId: request.id,
          ...(appError.detail === undefined || appError.status >= 500
            ? {}
            : { detail: appError.detail }),
        },
      };
      return reply.code(appError.status).send(body);
    });
    app.setNotFoundHandler((request, reply) => {
      const { status, message, fix } = errorCatalogue.NOT_FOUND;
      const body: ErrorBody = { error: { code: 'NOT_FOUND', message, fix, requestId: request.id } };
      return reply.code(status).send(body);
    });
  },
  { name: 'errors' },
);
