import { jwtVerify } from 'jose';
import { publishedKeySet } from '../../oidc/access-token-verifier.ts';
import type { PublicJwk } from '../../oidc/live-provider.ts';
import { DASHBOARD_CLIENT_ID } from '../../oidc/dashboard-client.ts';

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * Who and what a valid logout token ends: the user, and insole's session when it names one; and
 * the token's `jti` with the time (in seconds) until which the age check would still accept it.
 */
export interface LogoutNotice { sub: string; sid?: string; iat: number; jti: string; acceptedUntil: number }

const MAX_AGE_SECONDS = 300;
const CLOCK_TOLERANCE_SECONDS = 30;

/** A logout token that fails a check of §2.6: answered 400 invalid_request, nothing ended. */
export class InvalidLogoutTokenError extends Error {}

/**
 * Validates a logout token sent to the dashboard (OpenID Connect Back-Channel Logout 1.0 §2.6)
 * with jose, as access-token-verifier.ts does (openid-client 6 has no logout-token check): the
 * signature against insole's own published keys (no HTTP round trip to itself), RS256 only, typ
 * `logout+jwt` (§2.4: no ID token passes for one), iss, aud = the dashboard client, iat within the
 * last five minutes (the delivery is one attempt, at the sign-out), and then the claims §2.6 names:
 * the logout event as a JSON object, no nonce. `sub` is required although §2.4 allows `sid` alone:
 * the dashboard files sign-outs by user (signed-out-sessions.ts), and insole's tokens always carry it.
 */
export function createLogoutTokenVerifier({ publicKeys, issuer }: { publicKeys: () => PublicJwk[]; issuer: string }) {
  const currentJwks = publishedKeySet(publicKeys);

  return async (token: unknown): Promise<LogoutNotice> => {
    if (typeof token !== 'string' || !token || token.length > 8192) throw new InvalidLogoutTokenError('logout_token is missing');
    const { payload } = await jwtVerify(token, currentJwks(), {
      issuer, audience: DASHBOARD_CLIENT_ID, algorithms: ['RS256'], typ: 'logout+jwt',
      requiredClaims: ['iat', 'jti', 'events', 'sub'], maxTokenAge: MAX_AGE_SECONDS, clockTolerance: CLOCK_TOLERANCE_SECONDS,
    }).catch((err: Error) => { throw new InvalidLogoutTokenError(`logout_token is not valid: ${err.message}`); });
    const event = (payload.events as Record<string, unknown> | undefined)?.[LOGOUT_EVENT];
    if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new InvalidLogoutTokenError('logout_token has no back-channel logout event');
    if ('nonce' in payload) throw new InvalidLogoutTokenError('logout_token must not have a nonce');
    if (payload.sid !== undefined && (typeof payload.sid !== 'string' || !payload.sid)) throw new InvalidLogoutTokenError('logout_token has an invalid sid');
    if (typeof payload.jti !== 'string' || !payload.jti || payload.jti.length > 200) throw new InvalidLogoutTokenError('logout_token has an invalid jti');
    const acceptedUntil = payload.iat! + MAX_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS;
    return { sub: payload.sub!, iat: payload.iat!, jti: payload.jti, acceptedUntil, ...(payload.sid ? { sid: payload.sid as string } : {}) };
  };
}
