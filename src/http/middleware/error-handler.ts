import type { ErrorRequestHandler, Request } from 'express';
import { AppError, UnavailableError } from '../../errors/app-error.ts';
import { isDatabaseUnavailableError } from '../../db/connect.ts';
import { StoredUserError } from '../../users/stored-user.ts';
import type { RenderView } from '../views.ts';
import { overPage } from '../popup-cookie.ts';

const SIGN_IN_OVER = 'This sign-in has expired or was already used. Go back to the store and start again.';

export interface PublicError { status: number; code: string; message: string }

/**
 * The one error handler: exposed errors keep their message, anything else becomes a generic
 * server_error (logged with the request id). Browsers get the branded page, programs JSON.
 */
export function errorHandler(renderView: RenderView): ErrorRequestHandler {
  return async (err, req, res, _next) => {
    const shown = toPublicError(err instanceof StoredUserError ? hiddenFromVisitors(err) : err);
    if (shown.status >= 500 && shown.code === 'server_error') req.log.error({ err }, 'unhandled error');
    else req.log.info({ code: shown.code, status: shown.status }, 'request refused');
    if (res.headersSent) return;
    if (shown.status === 503) res.setHeader('Retry-After', '5');
    const retryAfter = (err as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (shown.status === 429 && retryAfter) res.setHeader('Retry-After', String(retryAfter));
    res.status(shown.status);
    if (wantsHtml(req)) {
      // A popup sign-in's page whose sign-in is over tells the app (popup-cookie.ts).
      res.type('html').send(await renderView('error', { title: 'Something went wrong', error: shown.code, description: shown.message, ...overPage(res) }));
    } else {
      res.json({ error: shown.code, error_description: shown.message });
    }
  };
}

/**
 * A stored user insole cannot read is the operator's to mend, and the Management API (whose caller
 * holds a token) names it. A page's visitor is anyone: there it would name the user_id of the
 * account an email belongs to (a sign-in, a password reset), so it is a plain server_error, and
 * the log line, with the message, is where the operator finds it.
 */
function hiddenFromVisitors(err: StoredUserError): Error {
  return new Error(err.message, { cause: err });
}

export function toPublicError(err: unknown): PublicError {
  if (isDatabaseUnavailableError(err)) err = new UnavailableError();
  if (err instanceof AppError && err.expose) return { status: err.status, code: err.code, message: err.message };
  // oidc-provider's interactionDetails, on a hosted page of a sign-in that is over (finished,
  // cancelled, expired) or not this browser's (Back after signing in, the link opened elsewhere):
  // its words ("interaction session id cookie not found") mean nothing to a shopper.
  if ((err as { name?: unknown } | undefined)?.name === 'SessionNotFound') return { status: 400, code: 'invalid_request', message: SIGN_IN_OVER };
  // body-parser (malformed JSON 400, too large 413) and oidc-provider errors carry status/expose.
  const e = err as { status?: number; statusCode?: number; expose?: boolean; type?: string; code?: unknown; error?: string; error_description?: string; message?: string };
  const status = e.status ?? e.statusCode ?? 500;
  if (status < 500 && (e.expose || e.error)) {
    // body-parser passes zlib's own error on (code Z_DATA_ERROR, "incorrect header check"): say it plainly.
    if (typeof e.code === 'string' && e.code.startsWith('Z_')) return { status, code: 'invalid_request', message: 'The request body is not in the Content-Encoding it names.' };
    const code = e.error ?? (typeof e.code === 'string' ? e.code : bodyErrorCode(e.type));
    return { status, code, message: e.error_description ?? bodyErrorMessage(e.type, e.message) };
  }
  // Still the caller's fault (Express's router answers a malformed %-escape in the path with a
  // plain 400), but the library's message is not meant for them: keep the status, say it plainly.
  if (status >= 400 && status < 500) return { status, code: 'invalid_request', message: 'The request is malformed.' };
  return { status: 500, code: 'server_error', message: 'Something went wrong on our side. Please try again.' };
}

function bodyErrorCode(type?: string): string {
  return type === 'entity.too.large' ? 'payload_too_large' : 'invalid_request';
}

function bodyErrorMessage(type?: string, fallback?: string): string {
  if (type === 'entity.parse.failed') return 'The request body is not valid JSON.';
  if (type === 'entity.too.large') return 'The request body is too large.';
  return fallback ?? 'The request is invalid.';
}

function wantsHtml(req: Request): boolean {
  return req.accepts(['json', 'html']) === 'html' && !req.is('json');
}
