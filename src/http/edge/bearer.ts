import { timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError, InsufficientScopeError, UnauthorizedError } from '../../errors/app-error.ts';

/** Who presented the token, and what it allows. */
export interface Bearer {
  subject: string;
  /** The client the token was issued to (RFC 9068 `client_id`). */
  clientId?: string;
  scopes: ReadonlySet<string>;
  /** Scopes the token carries that its user's roles no longer give (token-user.ts): refused, and said why. */
  withdrawn?: ReadonlySet<string>;
}

/** Checks a token offline and says who it is for; throws UnauthorizedError when it is not good. */
export type VerifyBearer = (token: string) => Promise<Bearer>;

declare module 'express-serve-static-core' {
  interface Request { bearer?: Bearer }
}

// RFC 6750 §2.1: "Bearer" then the token (the verifier, not the pattern, decides whether it is good).
const AUTHORIZATION = /^Bearer +(\S+) *$/i;

/** The one bearer-token middleware: a valid token puts `req.bearer` in place, anything else is a 401. */
export function requireBearer(verify: VerifyBearer, realm: string): RequestHandler {
  return async (req, res, next) => {
    const header = req.get('authorization');
    const token = header ? AUTHORIZATION.exec(header)?.[1] : undefined;
    try {
      if (!token) throw new UnauthorizedError(header ? 'Bad HTTP authentication header format' : 'Missing authentication', header ? 'invalid_request' : 'missing_authentication');
      req.bearer = await verify(token);
    } catch (err) {
      // RFC 6750 §3: say which realm, and (when a token was sent) that it was refused.
      res.setHeader('WWW-Authenticate', token ? `Bearer realm="${realm}", error="invalid_token"` : `Bearer realm="${realm}"`);
      throw err instanceof AppError ? err : new UnauthorizedError('Invalid token', 'invalid_token', { cause: err });
    }
    next();
  };
}

/** Why a token that carried a needed scope lost it (token-user.ts): its user's roles no longer give it. */
function withdrawnWhy(bearer: Bearer | undefined, scopes: readonly string[]): string | undefined {
  if (!scopes.some((scope) => bearer?.withdrawn?.has(scope))) return undefined;
  return 'The token carries it, but its user no longer holds a dashboard role that gives it (app_metadata.roles, dashboard.admins): sign in again.';
}

/** After requireBearer: the token must carry one of these scopes (Auth0: "any of"). */
export function requireScope(...anyOf: string[]): RequestHandler {
  return (req, _res, next) => {
    if (anyOf.some((scope) => req.bearer?.scopes.has(scope))) return next();
    throw new InsufficientScopeError(anyOf, { why: withdrawnWhy(req.bearer, anyOf) });
  };
}

/** After requireBearer: the token must carry every one of these scopes (Auth0: "all of"). */
export function requireAllScopes(...allOf: string[]): RequestHandler {
  return (req, _res, next) => {
    if (!allOf.every((scope) => req.bearer?.scopes.has(scope))) throw new InsufficientScopeError(allOf, { needs: 'all', why: withdrawnWhy(req.bearer, allOf) });
    next();
  };
}

/** A shared secret as a bearer token (a metrics scraper): compared in constant time, granting `scopes`. */
export function staticBearer(secret: string, subject: string, scopes: string[]): VerifyBearer {
  const expected = Buffer.from(secret);
  return async (token) => {
    const presented = Buffer.from(token);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) throw new UnauthorizedError();
    return { subject, scopes: new Set(scopes) };
  };
}
