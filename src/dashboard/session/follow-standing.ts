import type { RequestHandler } from 'express';
import type { RoleStanding, StandingOf } from '../../users/role-standing.ts';
import { SessionExpiredError } from '../management-client.ts';
import { signedIn } from './session-guard.ts';
import type { SignedOutSessions } from './signed-out-sessions.ts';

/** The session's end, in the user's words, when its user was deleted or blocked since signing in. */
export function endedSession(standing: RoleStanding): SessionExpiredError | undefined {
  if (standing.status === 'gone') return new SessionExpiredError('Your dashboard session has ended: your account no longer exists.');
  if (standing.status === 'blocked') return new SessionExpiredError('Your dashboard session has ended: your account is blocked.');
  return undefined;
}

/** What a copy of a session cookie taken before its sign-out meets (the "Signed out" page, or a 401). */
export const SIGNED_OUT_MESSAGE = 'You signed out of this dashboard session.';
/** What it meets when insole's session it signed in with ended elsewhere (back-channel logout). */
export const ENDED_ELSEWHERE_MESSAGE = 'Your dashboard session has ended: you signed out elsewhere, or your password was changed.';

/**
 * After requireSession: a session signed out (on any instance), or whose insole session ended
 * elsewhere (back-channel logout), is over, whoever sends its cookie
 * (signed-out-sessions.ts: at once on the instance that signed it out, within SIGNED_OUT_TTL_MS on
 * the others). Then the user as they stand now, not as their token says (it was issued up to an
 * hour ago). Deleted or blocked since: the session is over (the "Signed out" page says why). A role
 * taken away: the pages show, offer and allow what the remaining roles give, and a user left with
 * none gets the "No access" page. The read is the Management API's own (role-standing.ts, one per
 * user per 5 s on this instance), which the page's calls to the API then share; the sign-outs are
 * read beside it, as often: no database command of a request's own.
 */
export function followStanding(standingOf: StandingOf, signedOut: SignedOutSessions): RequestHandler {
  return async (req, _res, next) => {
    const { session, user } = signedIn(req);
    const [standing, signOuts] = await Promise.all([standingOf(user.sub), signedOut.of(user.sub)]);
    const ended = signOuts.ends(session);
    if (ended === 'dashboard') throw new SessionExpiredError(SIGNED_OUT_MESSAGE);
    // A block or a deletion also ends insole's sessions (back-channel logout): its own words say why.
    const gone = endedSession(standing);
    if (gone) throw gone;
    if (ended) throw new SessionExpiredError(ENDED_ELSEWHERE_MESSAGE);
    if (standing.status === 'active') req.dashboard = { session, user: { ...user, scopes: new Set([...user.scopes].filter((scope) => standing.scopes.has(scope))) } };
    next();
  };
}
