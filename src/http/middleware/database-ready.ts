import type { RequestHandler } from 'express';
import { UnavailableError } from '../../errors/app-error.ts';

/** While the database is away, answer 503 at once rather than hang or fail half-way. */
export function requireDatabase(isReady: () => boolean): RequestHandler {
  return (_req, _res, next) => next(isReady() ? undefined : new UnavailableError());
}
