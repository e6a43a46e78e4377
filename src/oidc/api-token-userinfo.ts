import type { Config } from '../config/schema.ts';
import type { UserRepository } from '../users/user.repository.ts';
import { createAccessTokenVerifier } from './access-token-verifier.ts';
import { claimsForScopes, loadAccountClaims, type AccountClaims } from './account.ts';
import { createUserinfoCors } from './client-cors.ts';
import type { CurrentProvider, PublicJwk } from './live-provider.ts';

export interface ApiTokenUserinfoDeps {
  config: Config;
  users: UserRepository;
  provider: CurrentProvider;
  publicKeys: () => PublicJwk[];
}

/**
 * /userinfo for a shopper's JWT access token for an API in `apis`, which oidc-provider refuses (its
 * userinfo takes only tokens with no audience). Auth0 accepts an API token whose scope has `openid`
 * at /userinfo, and its SDKs rely on it (express-openid-connect's `fetchUserInfo()` after a sign-in
 * with `audience`). The token is checked as any resource server would (access-token-verifier.ts:
 * our keys, issuer, expiry, RS256, `at+jwt`), for one of the configured APIs, with `openid` in its
 * scope (api-token-scope.ts puts the sign-in's OpenID scopes there), its client still known and
 * allowed from `origin`, its user still there and not blocked. Undefined for any other token or
 * origin: oidc-provider then answers as it always has. Like every JWT for an API, it is not recalled
 * by a sign-out (it carries no link to its grant); it lasts its `access_token_ttl`.
 */
export function createApiTokenUserinfo({ config, users, provider, publicKeys }: ApiTokenUserinfoDeps) {
  const apis = config.apis.map((api) => api.identifier);
  const verify = apis.length ? createAccessTokenVerifier({ publicKeys, issuer: config.issuer, audience: apis }) : undefined;
  const corsAllows = createUserinfoCors(config.issuer);

  return async (token: string, origin: string | undefined): Promise<AccountClaims | undefined> => {
    const verified = await verify?.(token).catch(() => undefined);
    if (!verified?.clientId || !verified.scopes.has('openid')) return undefined;
    const client = await provider().Client.find(verified.clientId);
    if (!client || (origin !== undefined && !corsAllows(origin, client))) return undefined;
    const claims = await loadAccountClaims(users, verified.subject);
    return claims && claimsForScopes(claims, verified.scopes);
  };
}
