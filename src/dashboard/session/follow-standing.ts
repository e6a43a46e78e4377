import type { RequestHandler } from 'express';
import type { RoleStanding, StandingOf } from '../../users/role-standing.ts';
import { SessionExpiredError } from '../management-client.ts';
import { signedIn } from './session-guard.ts';

/** The session's end, in the user's words, when its user was deleted or blocked since signing in. */
export function endedSession(standing: RoleStanding): SessionExpiredError | undefined {
  if (standing.status === 'gone') return new SessionExpiredError('Your dashboard session has ended: your account no longer exists.');
  if (standing.status === 'blocked') return new SessionExpiredError('Your dashboard session has ended: your account is blocked.');
  return undefined;
}

/**
 * After requireSession: the user as they stand now, not as their token says (it was issued up to an
 * hour ago). Deleted or blocked since: the session is over (the "Signed out" page says why). A role
 * taken away: the pages show, offer and allow what the remaining roles give, and a user left with
 * none gets the "No access" page. The read is the Management API's own (role-standing.ts, one per
 * user per 5 s on this instance), which the page's calls to the API then share.
 */
export function followStanding(standingOf: StandingOf): RequestHandler {
  return async (req, _res, next) => {
    const { session, user } = signedIn(req);
    const standing = await standingOf(user.sub);
    const ended = endedSession(standing);
    if (ended) throw ended;
    if (standing.status === 'active') req.dashboard = { session, user: { ...user, scopes: new Set([...user.scopes].filter((scope) => standing.scopes.has(scope))) } };
    next();
  };
}
