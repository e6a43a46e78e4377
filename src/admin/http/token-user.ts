import type { RequestHandler } from 'express';
import { UnauthorizedError } from '../../errors/app-error.ts';
import type { RoleStanding, StandingOf } from '../../users/role-standing.ts';

const REFUSED: Record<Exclude<RoleStanding['status'], 'active'>, string> = {
  gone: 'The user this token was issued to no longer exists.',
  blocked: 'The user this token was issued to is blocked.',
};

/**
 * After requireBearer. A token issued on a user's behalf (the dashboard's: `sub` is the user, not
 * the client) holds only while its user does: a user deleted or blocked since is a 401, and the
 * token's scopes are cut to what the user's roles give now, so a role taken away is a 403 on its
 * next request, not an hour later. A client_credentials token (`sub` is its client) is the
 * client's own grant and is left as it is.
 */
export function requireTokenUser(standingOf: StandingOf, realm: string): RequestHandler {
  return async (req, res, next) => {
    const bearer = req.bearer!;
    if (!bearer.clientId || bearer.subject === bearer.clientId) return next();
    const standing = await standingOf(bearer.subject);
    if (standing.status !== 'active') {
      res.setHeader('WWW-Authenticate', `Bearer realm="${realm}", error="invalid_token"`);
      throw new UnauthorizedError(REFUSED[standing.status], 'invalid_token');
    }
    const withdrawn = new Set([...bearer.scopes].filter((scope) => !standing.scopes.has(scope)));
    if (withdrawn.size) req.bearer = { ...bearer, scopes: new Set([...bearer.scopes].filter((scope) => standing.scopes.has(scope))), withdrawn };
    next();
  };
}
