import type { Request, RequestHandler, Response } from 'express';
import { decodeJwt } from 'jose';
import { SessionExpiredError } from '../management-client.ts';
import { DashboardClientRefusedError, type DashboardSignIn } from './dashboard-signin.ts';
import type { DashboardSession, SessionCookies } from './session-cookie.ts';

/** Who is signed in, as the ID token says, and what the access token allows. */
export interface DashboardUser { sub: string; email?: string; name?: string; scopes: ReadonlySet<string> }

declare module 'express-serve-static-core' {
  interface Request { dashboard?: { session: DashboardSession; user: DashboardUser } }
}

/** Renew this long before the access token expires, so a call made now does not arrive with a dead token. */
const RENEW_BEFORE_SECONDS = 30;

export function userOf(session: DashboardSession): DashboardUser {
  const scope = decodeJwt(session.access_token).scope;
  const { sub, email, name } = session.who;
  if (typeof sub !== 'string') throw new TypeError('a session without its user');
  return { sub, email, name, scopes: new Set(typeof scope === 'string' ? scope.split(' ').filter(Boolean) : []) };
}

/** The session as the cookie holds it, whatever its age (the CSRF check needs its sid before anything else is decided). */
export function readSession(cookies: SessionCookies): RequestHandler {
  return (req, _res, next) => {
    const session = cookies.readSession(req);
    if (session) {
      try {
        req.dashboard = { session, user: userOf(session) };
      } catch { /* not tokens we issued: no session */ }
    }
    next();
  };
}

export interface GuardDeps { cookies: SessionCookies; signIn: DashboardSignIn; cookieSeconds: number }

/** The browser keeps the cookie while the session can last: the refresh token's lifetime, or the access token's. */
export function keepSession(deps: Pick<GuardDeps, 'cookies' | 'cookieSeconds'>, res: Response, session: DashboardSession): void {
  const seconds = session.refresh_token ? deps.cookieSeconds : Math.max(1, session.expires_at - Math.floor(Date.now() / 1000));
  deps.cookies.writeSession(res, session, seconds);
}

/**
 * A signed-in user with a live access token: renewed with the refresh token shortly before it
 * expires, else the session is over. Pages then send the browser through sign-in and back (silent
 * while insole's own session lasts); scripts, streams and form posts get a 401. Renewal races
 * (two requests with one rotated refresh token) end the same way: insole revokes the family, the
 * user signs in again.
 */
export function requireSession(deps: GuardDeps): RequestHandler {
  return async (req, res, next) => {
    const current = req.dashboard?.session;
    if (current && current.expires_at - RENEW_BEFORE_SECONDS > Date.now() / 1000) return next();
    if (current?.refresh_token) {
      try {
        const session = await deps.signIn.refresh(current);
        keepSession(deps, res, session);
        req.dashboard = { session, user: userOf(session) };
        return next();
      } catch (err) {
        // Revoked, rotated by a concurrent request, or insole's session ended: sign in again. A
        // refused dashboard client is the operator's to mend (the sign-in it leads to fails too).
        if (err instanceof DashboardClientRefusedError) req.log.error({ token_endpoint: err.tokenEndpointSaid }, `dashboard session could not be renewed: ${DashboardClientRefusedError.forTheOperator}`);
        else req.log.info({ err: { message: (err as Error).message } }, 'dashboard session could not be renewed');
      }
    }
    if (current) deps.cookies.clearSession(res);
    req.dashboard = undefined;
    // A page (a browser navigating) goes through sign-in; a script's fetch or the live stream is told.
    const page = req.method === 'GET' && req.accepts(['html', 'json', 'text/event-stream']) === 'html';
    if (page) return res.redirect(303, `/admin/login?return_to=${encodeURIComponent(req.originalUrl)}`);
    throw new SessionExpiredError();
  };
}

/** The session of a request past requireSession. */
export function signedIn(req: Request): { session: DashboardSession; user: DashboardUser } {
  if (!req.dashboard) throw new SessionExpiredError();
  return req.dashboard;
}
