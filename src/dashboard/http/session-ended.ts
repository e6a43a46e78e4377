import type { ErrorRequestHandler } from 'express';
import { SessionExpiredError } from '../management-client.ts';
import type { SessionCookies } from '../session/session-cookie.ts';
import { renderPage, type PageKit } from './dashboard-page.ts';

/**
 * A session that is over mid-way: its user was blocked or deleted since (followStanding), or the
 * Management API refused its token (expired; the same reasons, seen by another instance first). The cookie is of no more use, so it goes; a page shows why
 * in words, with the way to sign in again, rather than "Something went wrong"; a script's fetch
 * and the live stream still get the JSON 401 from the app's error handler.
 */
export function sessionEndedPage(kit: PageKit, cookies: SessionCookies): ErrorRequestHandler {
  return async (err, req, res, next) => {
    if (!(err instanceof SessionExpiredError) || res.headersSent) return next(err);
    cookies.clearSession(res);
    if (req.accepts(['json', 'html', 'text/event-stream']) !== 'html' || req.is('json')) return next(err);
    req.dashboard = undefined; // the header names nobody: nobody is signed in any more
    const returnTo = req.method === 'GET' ? req.originalUrl : '/admin';
    await renderPage(kit, req, res, 'message', {
      title: 'Signed out', message: err.message, link: { href: `/admin/login?return_to=${encodeURIComponent(returnTo)}`, text: 'Sign in again' },
    }, 401);
  };
}
