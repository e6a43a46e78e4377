import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { z } from 'zod';
import { NotFoundError } from '../../errors/app-error.ts';
import { toPublicError } from '../../http/middleware/error-handler.ts';

/** Auth0's error body, as its SDKs parse it; the OpenAPI document gives it to every 4xx and 5xx. */
export const auth0ErrorSchema = z.object({
  statusCode: z.number().int().min(400).max(599).describe('The HTTP status, repeated.'),
  error: z.string().describe('The HTTP reason phrase, e.g. "Bad Request".'),
  message: z.string().describe('What was wrong, for a person.'),
  errorCode: z.string().describe('What was wrong, for a program, e.g. "invalid_query_string", "insufficient_scope".'),
}).meta({ id: 'Error' });

/**
 * Errors of the Management API in Auth0's shape, which its SDKs parse:
 * `{ statusCode, error: <HTTP reason>, message, errorCode }`. The same rules as the pages' handler
 * decide what is shown: exposed errors keep their message, anything else is a generic 500.
 */
export function managementApiErrors(): ErrorRequestHandler {
  return (err, req, res, _next) => {
    // A streamed answer (a segment's members, an export file) whose client hung up: a cancelled
    // download, or the dashboard's browser leaving. Its stream and cursor are closed; no server error.
    if (res.headersSent && req.socket.destroyed && (err as NodeJS.ErrnoException)?.code === 'ERR_STREAM_PREMATURE_CLOSE') {
      req.log.info('the client left before the answer was complete');
      return void res.destroy();
    }
    const shown = toPublicError(err);
    if (shown.status >= 500 && shown.code === 'server_error') req.log.error({ err }, 'unhandled error');
    else req.log.info({ code: shown.code, status: shown.status }, 'request refused');
    if (res.headersSent) return void res.destroy(); // a stream that failed half-way: cut it, so the client sees it incomplete
    if (shown.status === 503) res.setHeader('Retry-After', '5');
    const retryAfter = (err as { retryAfterSeconds?: number }).retryAfterSeconds;
    if (shown.status === 429 && retryAfter) res.setHeader('Retry-After', String(retryAfter));
    const body: z.output<typeof auth0ErrorSchema> = { statusCode: shown.status, error: STATUS_CODES[shown.status] ?? 'Error', message: shown.message, errorCode: shown.code };
    res.status(shown.status).json(body);
  };
}

/** Anything under /api/v2 that no route answers. */
export const unknownEndpoint: RequestHandler = () => { throw new NotFoundError('Not Found'); };

/** How a route declares its error answers (for the OpenAPI document). */
export const auth0ErrorResponse = { description: 'Auth0 error body: { statusCode, error, message, errorCode }' };
