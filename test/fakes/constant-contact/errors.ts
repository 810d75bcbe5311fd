/**
 * Error bodies in Constant Contact's two shapes (§11): API errors are an array of
 * `{error_key, error_message}`; authentication, gateway and 429 errors are a single object.
 * Handlers throw `CcHttpError`; the server's error handler writes it out.
 */
import { ccErrors } from '../../../server/constant-contact/provider.ts';

export class CcHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`CC fake error ${status}`);
  }
}

export interface ErrorItem {
  error_key: string;
  error_message: string;
}

export function apiError(status: number, errorKey: string, message: string): CcHttpError {
  return new CcHttpError(status, [{ error_key: errorKey, error_message: message }]);
}

/** 400 `contacts.api.validation.error`, one item per problem. */
export function validationError(messages: readonly string[]): CcHttpError {
  return new CcHttpError(
    400,
    messages.map((m) => ({ error_key: ccErrors.validationKey, error_message: m })),
  );
}

export function notFound(message: string): CcHttpError {
  return apiError(404, ccErrors.notFoundKey, message);
}

/** §11: the 409 body names the existing contact; integrations extract the id with a regex. */
export function contactConflict(existingContactId: string): CcHttpError {
  return apiError(
    409,
    ccErrors.conflictKey,
    `${ccErrors.conflictMessagePrefix}${existingContactId}`,
  );
}

export function unauthorized(): CcHttpError {
  return new CcHttpError(401, { ...ccErrors.unauthorized });
}

/** §3.6: a 403 means a missing scope, a missing privilege or a deactivated app. */
export function forbidden(message = 'Forbidden'): CcHttpError {
  return new CcHttpError(403, { error_key: 'forbidden', error_message: message });
}

/** The OAuth server's own shape (§11). */
export function oauthError(status: number, error: string, description: string): CcHttpError {
  return new CcHttpError(status, { error, error_description: description });
}
