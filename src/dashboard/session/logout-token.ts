import { jwtVerify } from 'jose';
import { publishedKeySet } from '../../oidc/access-token-verifier.ts';
import type { PublicJwk } from '../../oidc/live-provider.ts';
import { DASHBOARD_CLIENT_ID } from '../../oidc/dashboard-client.ts';

const LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** Who and what a valid logout token ends: the user, and insole's session when it names one. */
export interface LogoutNotice { sub: string; sid?: string; iat: number }

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
      requiredClaims: ['iat', 'jti', 'events', 'sub'], maxTokenAge: '5 minutes', clockTolerance: 30,
    }).catch((err: Error) => { throw new InvalidLogoutTokenError(`logout_token is not valid: ${err.message}`); });
    const event = (payload.events as Record<string, unknown> | undefined)?.[LOGOUT_EVENT];
    if (typeof event !== 'object' || event === null || Array.isArray(event)) throw new InvalidLogoutTokenError('logout_token has no back-channel logout event');
    if ('nonce' in payload) throw new InvalidLogoutTokenError('logout_token must not have a nonce');
    if (payload.sid !== undefined && (typeof payload.sid !== 'string' || !payload.sid)) throw new InvalidLogoutTokenError('logout_token has an invalid sid');
    return { sub: payload.sub!, iat: payload.iat!, ...(payload.sid ? { sid: payload.sid as string } : {}) };
  };
}
