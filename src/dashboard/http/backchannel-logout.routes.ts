import express, { Router } from 'express';
import type { LogService } from '../../logs/log.service.ts';
import { DASHBOARD_CLIENT_ID } from '../../oidc/dashboard-client.ts';
import { InvalidLogoutTokenError, type LogoutNotice } from '../session/logout-token.ts';
import { insoleSessionKey } from '../session/session-key.ts';
import type { SignedOutSessions } from '../session/signed-out-sessions.ts';
import type { SpentLogoutTokens } from '../session/spent-logout-tokens.ts';

interface BackchannelDeps { verify: (token: unknown) => Promise<LogoutNotice>; logs: LogService; signedOut: SignedOutSessions; spent: SpentLogoutTokens }

/**
 * POST /admin/backchannel-logout: the dashboard as a back-channel logout receiver of its own
 * insole (OpenID Connect Back-Channel Logout 1.0, its client registers this URI). insole posts a
 * logout token here when a session the dashboard signed in with ends elsewhere (sign-out from a
 * storefront, a password reset, an admin ending sessions). The end is recorded as the dashboard's
 * own sign-outs are, an `slo` event (naming insole's session by its key, or every session of the
 * user signed in before the token), which every instance reads (signed-out-sessions.ts): this one
 * at once, the others within SIGNED_OUT_TTL_MS. Mounted before the dashboard's cookie and CSRF
 * checks: the caller is insole's server, with no cookie, and the signed token is the proof.
 * §2.8: 200 once recorded, 400 invalid_request for a token that fails a check, never cached. A
 * token already accepted (by its jti, on any instance: spent-logout-tokens.ts) is one that fails a
 * check (§2.6, step 10): a captured token posted again answers 400 and writes nothing.
 */
export function backchannelLogoutRoutes({ verify, logs, signedOut, spent }: BackchannelDeps): Router {
  const router = Router();
  // no-store before the body is read, so that a refused body (too large) is not cached either.
  const noStore: express.RequestHandler = (_req, res, next) => { res.setHeader('Cache-Control', 'no-store'); next(); };
  router.post('/admin/backchannel-logout', noStore, express.urlencoded({ extended: false, limit: '16kb' }), async (req, res) => {
    let notice: LogoutNotice;
    try {
      notice = await verify((req.body as Record<string, unknown> | undefined)?.logout_token);
      if (!(await spent.spend(notice.jti, notice.acceptedUntil))) throw new InvalidLogoutTokenError('logout_token was already used');
    } catch (err) {
      if (!(err instanceof InvalidLogoutTokenError)) throw err;
      req.log.info({ reason: err.message }, 'dashboard back-channel logout refused');
      return void res.status(400).json({ error: 'invalid_request', error_description: err.message });
    }
    await recordEnd(logs, notice, req.ip);
    signedOut.forget(notice.sub);
    res.status(200).end();
  });
  return router;
}

/** Auth0's `slo` for the dashboard, naming what ended by insole's session key, never the sid itself. */
function recordEnd(logs: LogService, { sub, sid, iat }: LogoutNotice, ip: string | undefined): Promise<string> {
  return logs.record({
    type: 'slo', description: 'Signed out of the dashboard: the insole session ended elsewhere (back-channel logout)',
    user_id: sub, client_id: DASHBOARD_CLIENT_ID, ip,
    details: sid ? { insole_session: insoleSessionKey(sid) } : { signed_in_before: iat },
  });
}
