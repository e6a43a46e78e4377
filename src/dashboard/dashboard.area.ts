import cookieParser from 'cookie-parser';
import express, { Router, type RequestHandler } from 'express';
import type { Area } from '../area.ts';
import type { Core } from '../core.ts';
import { managementAudience } from '../admin/management-api.ts';
import { createDashboardCsrf } from '../http/middleware/csrf.ts';
import { createLogModel } from '../logs/log.model.ts';
import { createAccessTokenVerifier } from '../oidc/access-token-verifier.ts';
import type { LiveProvider } from '../oidc/live-provider.ts';
import { DASHBOARD_CLIENT_ID } from '../oidc/dashboard-client.ts';
import { forgetClientAuthorization } from '../oidc/revoke-account.ts';
import { backchannelLogoutRoutes } from './http/backchannel-logout.routes.ts';
import { listRoutes } from './http/list.routes.ts';
import { liveRoutes } from './http/live.routes.ts';
import { overviewRoutes } from './http/overview.routes.ts';
import { segmentRoutes } from './http/segment.routes.ts';
import { signInRoutes } from './http/signin.routes.ts';
import { userRoutes } from './http/user.routes.ts';
import { renderPage, type PageKit } from './http/dashboard-page.ts';
import { sessionEndedPage } from './http/session-ended.ts';
import type { StandingOf } from '../users/role-standing.ts';
import { createLiveFeed } from './live/live-feed.ts';
import { createManagementClient } from './management-client.ts';
import { createDashboardSignIn } from './session/dashboard-signin.ts';
import { createLogoutTokenVerifier } from './session/logout-token.ts';
import { createSessionCookies } from './session/session-cookie.ts';
import { followStanding } from './session/follow-standing.ts';
import { readSession, requireSession } from './session/session-guard.ts';
import { createSignedOutSessions } from './session/signed-out-sessions.ts';
import { createSpentLogoutTokens } from './session/spent-logout-tokens.ts';

/**
 * The marketing dashboard at /admin (README "Dashboard"): a relying party of insole that signs
 * its users in through insole's own hosted pages and shows what the Management API answers to
 * their token. Nothing here reads users or reports itself; only the live feed reads new sign-ins
 * (and the dashboard's sign-outs) from the logs, for those whose token may read logs, and each
 * request asks where its own user stands now (the Management API's cached read, role-standing.ts)
 * and whether its session signed out (the same cache's pace, signed-out-sessions.ts).
 */
export function createDashboardArea(core: Core, { oidc, standingOf, dashboardSecret }: { oidc: LiveProvider; standingOf: StandingOf; dashboardSecret?: string }): Area {
  const { config, renderView, logger } = core;
  if (!dashboardSecret) return {}; // the oidc area reads it exactly when dashboard.enabled
  const cookies = createSessionCookies(config);
  const signIn = createDashboardSignIn(config, dashboardSecret);
  const api = createManagementClient(config.issuer);
  const csrf = createDashboardCsrf(config, (req) => req.dashboard?.session.sid);
  const kit: PageKit = { renderView, csrfToken: (req, res) => csrf.generateCsrfToken(req, res), roles: config.dashboard.roles };
  const logModel = createLogModel(core.connection);
  const signedOut = createSignedOutSessions(logModel, config.ttl);
  const feed = createLiveFeed({ logs: logModel, users: core.userModel, logger: logger.child({ component: 'live-feed' }) }, { pollMs: 1000, lookbackMs: 10_000, keepMs: (config.dashboard.report_max_age_seconds + 60) * 1000 });
  const verify = createAccessTokenVerifier({ publicKeys: oidc.publicKeys, issuer: config.issuer, audience: managementAudience(config.issuer) });
  const streams = new Set<() => void>();
  const guard = { cookies, signIn, cookieSeconds: config.ttl.session };

  // Who has no role (no scope at all) is signed in, but has nothing to see: say who they are and how to get access.
  // `allRoles`, not `roles`: every page's `roles` are the user's own (none here).
  const requireRole: RequestHandler = async (req, res, next) => {
    if (req.dashboard?.user.scopes.size) return next();
    await renderPage(kit, req, res, 'forbidden', { title: 'No access', allRoles: Object.keys(config.dashboard.roles) }, 403);
  };

  const router = Router();
  // insole's own server posts here (no cookie, no CSRF token): before the checks of a browser's requests.
  router.use(backchannelLogoutRoutes({ verify: createLogoutTokenVerifier({ publicKeys: oidc.publicKeys, issuer: config.issuer }), logs: core.logs, signedOut, spent: createSpentLogoutTokens(core.connection) }));
  router.use('/admin', cookieParser(), express.urlencoded({ extended: false, limit: '32kb' }), express.json({ limit: '32kb' }), readSession(cookies));
  // Before the session is checked, so a forged post is refused as such whatever the state of the session.
  router.use('/admin', csrf.doubleCsrfProtection);
  const leaveInsoleSession = (sub: string, sid: string) => forgetClientAuthorization(core.connection, { accountId: sub, clientId: DASHBOARD_CLIENT_ID, sid });
  router.use(signInRoutes({ config, signIn, cookies, kit, cookieSeconds: guard.cookieSeconds, logs: core.logs, signedOut, leaveInsoleSession }));
  router.use('/admin', requireSession(guard), followStanding(standingOf, signedOut), requireRole);
  router.use(overviewRoutes({ api, kit, maxAge: config.dashboard.report_max_age_seconds }), segmentRoutes({ api, kit, config }), userRoutes({ api, kit }), listRoutes({ api, kit }), liveRoutes({ feed, verify, standingOf, open: streams }));
  router.use('/admin', sessionEndedPage(kit, cookies));
  return {
    pages: [router],
    async stop() {
      for (const end of [...streams]) end(); // open streams would hold the server's close for the whole grace
      await feed.stop();
    },
  };
}
