import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { NotFoundError } from '../../errors/app-error.ts';
import { toPublicError } from '../../http/middleware/error-handler.ts';

/**
 * Errors of the Management API in Auth0's shape, which its SDKs parse:
 * `{ statusCode, error: <HTTP reason>, message, errorCode }`. The same rules as the pages' handler
 * decide what is shown: exposed errors keep their message, anything else is a generic 500.
 */
export function managementApiErrors(): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const shown = toPublicError(err);
    if (shown.status >= 500 && shown.code === 'server_error') req.log.error({ err }, 'unhandled error');
    else req.log.info({ code: shown.code, status: shown.status }, 'request refused');
    if (res.headersSent) return void res.destroy(); // a stream that failed half-way: cut it, so the client sees it incomplete
    if (shown.status === 503) res.setHeader('Retry-After', '5');
    const retryAfter = (err as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (shown.status === 429 && retryAfter) res.setHeader('Retry-After', String(retryAfter));
    res.status(shown.status).json({ statusCode: shown.status, error: STATUS_CODES[shown.status] ?? 'Error', message: shown.message, errorCode: shown.code });
  };
}

/** Anything under /api/v2 that no route answers. */
export const unknownEndpoint: RequestHandler = () => { throw new NotFoundError('Not Found'); };

/** How a route declares its error answers (for the OpenAPI document). */
export const auth0ErrorResponse = { description: 'Auth0 error body: { statusCode, error, message, errorCode }' };
