import { Router } from 'express';
import { z } from 'zod';
import { parseInput } from '../../http/edge/input.ts';
import type { Config } from '../../config/schema.ts';
import type { LogService } from '../../logs/log.service.ts';
import { DASHBOARD_CLIENT_ID } from '../../oidc/dashboard-client.ts';
import { DashboardClientRefusedError, safeReturnTo, SignInRefusedError, type DashboardSignIn } from '../session/dashboard-signin.ts';
import type { DashboardSession, SessionCookies } from '../session/session-cookie.ts';
import { insoleSessionKey, sessionKey } from '../session/session-key.ts';
import { keepSession, userOf } from '../session/session-guard.ts';
import type { SignedOutSessions } from '../session/signed-out-sessions.ts';
import { renderPage, type PageKit } from './dashboard-page.ts';

const loginQuery = z.object({ return_to: z.string().max(1000).optional() }).passthrough();
const callbackQuery = z.object({ state: z.string().max(500).optional(), error: z.string().max(200).optional(), error_description: z.string().max(500).optional() }).passthrough();

/** Takes the dashboard's authorization out of insole's session `sid` of user `sub` (revoke-account.ts); false when none held it. */
export type LeaveInsoleSession = (sub: string, sid: string) => Promise<boolean>;

interface SignInDeps {
  config: Config; signIn: DashboardSignIn; cookies: SessionCookies; kit: PageKit; cookieSeconds: number;
  logs: LogService; signedOut: SignedOutSessions; leaveInsoleSession: LeaveInsoleSession;
}

/**
 * Sign-in and sign-out of the dashboard (a relying party of insole): /admin/login starts the code
 * flow, /admin/callback ends it with a new session cookie (rotated at every sign-in), and the
 * sign-out POST clears it, records it (an `slo` event: every instance refuses that session's cookie
 * once it reads it, see signed-out-sessions.ts, and its live streams end), revokes its refresh token,
 * and ends insole's session by RP-initiated logout (id_token_hint). One `slo` per sign-out: the
 * dashboard first leaves insole's session it signed in with (its authorization there, by sid), so
 * that session's end, confirmed next or later, sends the dashboard no logout token for it
 * (backchannel-logout.routes.ts would record a second `slo`); the sign-out's own event then names
 * that insole session too, ending any other dashboard session signed in with it until now.
 */
export function signInRoutes({ config, signIn, cookies, kit, cookieSeconds, logs, signedOut, leaveInsoleSession }: SignInDeps): Router {
  const router = Router();
  const restart = (returnTo: string) => `/admin/login?return_to=${encodeURIComponent(returnTo)}`;

  router.get('/admin/login', async (req, res) => {
    const { return_to } = parseInput(loginQuery, req.query, 'query');
    const { url, flow } = await signIn.start(safeReturnTo(return_to));
    cookies.writeFlows(res, [flow, ...cookies.readFlows(req)]);
    res.setHeader('Cache-Control', 'no-store');
    res.redirect(303, url);
  });

  router.get('/admin/callback', async (req, res) => {
    const query = parseInput(callbackQuery, req.query, 'query');
    const flows = cookies.readFlows(req);
    const flow = flows.find((started) => started.state === query.state);
    if (flow) cookies.writeFlows(res, flows.filter((other) => other !== flow)); // spent; the other tabs' stay
    // Back to this page after signing in (its flow cookie is spent): already signed in, nothing expired.
    if (!flow && req.dashboard) return res.redirect(303, '/admin');
    if (!flow) {
      // It took over ten minutes, or this browser never started it: start over.
      return renderPage(kit, req, res, 'message', { title: 'Sign-in expired', message: 'This sign-in was started too long ago, or not in this browser.', link: { href: restart('/admin'), text: 'Sign in again' } }, 400);
    }
    if (query.error) {
      return renderPage(kit, req, res, 'message', { title: 'Not signed in', message: query.error_description ?? query.error, link: { href: restart(flow.return_to), text: 'Try again' } }, 400);
    }
    const callbackUrl = new URL(`${config.issuer}/admin/callback`);
    callbackUrl.search = new URL(req.originalUrl, 'http://local').search;
    let session;
    try {
      session = await signIn.finish(callbackUrl, flow);
    } catch (err) {
      if (err instanceof DashboardClientRefusedError) {
        req.log.error({ token_endpoint: err.tokenEndpointSaid }, `dashboard sign-in failed: ${DashboardClientRefusedError.forTheOperator}`);
        return renderPage(kit, req, res, 'message', { title: 'Sign-in unavailable', message: err.message, link: { href: restart(flow.return_to), text: 'Try again' } }, err.status);
      }
      // A code used twice (two tabs, a replayed link) or made up is the caller's doing, not a server error.
      if (!(err instanceof SignInRefusedError)) throw err;
      return renderPage(kit, req, res, 'message', { title: 'Not signed in', message: err.message, link: { href: restart(flow.return_to), text: 'Sign in again' } }, 400);
    }
    keepSession({ cookies, cookieSeconds }, res, session);
    req.log.info({ sub: userOf(session).sub }, 'dashboard sign-in');
    res.redirect(303, flow.return_to);
  });

  router.post('/admin/logout', async (req, res) => {
    const session = req.dashboard?.session;
    cookies.clearSession(res);
    if (session) {
      const warn = (what: string) => (err: Error) => req.log.warn({ err: { message: err.message } }, what);
      await Promise.all([
        // Not left (no sid kept, or the write failed): the logout token to come records the end of insole's session instead.
        (session.insole_sid ? leaveInsoleSession(session.who.sub, session.insole_sid) : Promise.resolve(false))
          .catch((err: Error) => { warn('dashboard did not leave insole\'s session: its end will be recorded again')(err); return false; })
          .then((left) => recordSignOut(logs, session, left, req.ip, req.get('user-agent')))
          .then(() => signedOut.forget(session.who.sub), warn('dashboard sign-out not recorded: a copy of its cookie, and its live streams, last as long as its tokens')),
        signIn.revoke(session).catch(warn('dashboard refresh token not revoked: it ends with its grant')),
      ]);
    }
    res.redirect(303, await signIn.logoutUrl(session));
  });

  router.get('/admin/signed-out', (req, res) => renderPage(kit, req, res, 'message', {
    title: 'Signed out', message: 'You are signed out of the dashboard.', link: { href: '/admin', text: 'Sign in again' },
  }));
  return router;
}

/**
 * Auth0's `slo`, naming the dashboard session (by its key, not its sid) so that its live streams can
 * end, and insole's session it left (by its key, not its sid), as a back-channel logout would have.
 */
function recordSignOut(logs: LogService, session: DashboardSession, leftInsole: boolean, ip: string | undefined, userAgent: string | undefined): Promise<string> {
  return logs.record({
    type: 'slo', description: 'Signed out of the dashboard', user_id: session.who.sub, user_name: session.who.email,
    client_id: DASHBOARD_CLIENT_ID, ip, user_agent: userAgent?.slice(0, 512),
    details: { dashboard_session: sessionKey(session.sid), ...(leftInsole && session.insole_sid ? { insole_session: insoleSessionKey(session.insole_sid) } : {}) },
  });
}
