import * as oidc from 'openid-client';
import type { SessionStore } from './session.ts';

export interface AuthSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  baseUrl: string;
  audience: string;
}

export type Discover = () => Promise<oidc.Configuration>;

// offline_access: a refresh token, so /me/orders keeps working after the access token expires.
// read:orders belongs to the API named by `audience` (Auth0's name for the RFC 8707 resource).
export const SCOPE = 'openid email profile offline_access read:orders';

/** Discovery on first use, and again after a failure, so the storefront may start before insole. */
export function createDiscovery({ issuer, clientId, clientSecret }: AuthSettings): Discover {
  // Plain http is for a local insole only; a real issuer is https and openid-client insists on it.
  const options = new URL(issuer).protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined;
  let pending: Promise<oidc.Configuration> | undefined;
  return () => {
    pending ??= oidc.discovery(new URL(issuer), clientId, undefined, oidc.ClientSecretBasic(clientSecret), options)
      .catch((err: unknown) => { pending = undefined; throw err; });
    return pending;
  };
}

/** An access token good for at least another 30 s, refreshed with the refresh token if needed. */
export async function freshAccessToken(discover: Discover, sessions: SessionStore, id: string): Promise<string | undefined> {
  const session = sessions.get(id);
  if (!session) return undefined;
  if (session.accessTokenExpiresAt - 30_000 > Date.now()) return session.accessToken;
  const signOut = () => { sessions.delete(id); return undefined; };
  if (!session.refreshToken) return signOut();
  try {
    const tokens = await oidc.refreshTokenGrant(await discover(), session.refreshToken);
    sessions.update(id, {
      accessToken: tokens.access_token,
      accessTokenExpiresAt: Date.now() + (tokens.expiresIn() ?? 0) * 1000,
      refreshToken: tokens.refresh_token ?? session.refreshToken, // insole rotates refresh tokens
    });
    return tokens.access_token;
  } catch (err) {
    if (isSignInRefusal(err)) return signOut(); // revoked or expired: the shopper signs in again
    throw err;
  }
}

/** Best effort (RFC 7009): signing out must not fail because insole is briefly unreachable. */
export async function revokeQuietly(discover: Discover, refreshToken: string): Promise<void> {
  try {
    await oidc.tokenRevocation(await discover(), refreshToken, { token_type_hint: 'refresh_token' });
  } catch (err) {
    console.warn('storefront: could not revoke the refresh token at sign-out:', err instanceof Error ? err.message : err);
  }
}

/** Refusals by insole or failed checks by openid-client, as opposed to bugs and network failures. */
export function isSignInRefusal(err: unknown): err is Error {
  return err instanceof oidc.AuthorizationResponseError || err instanceof oidc.ResponseBodyError || err instanceof oidc.ClientError;
}
