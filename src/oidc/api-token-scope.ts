import type { AccessToken, ClientCredentials, JWTStructured, KoaContextWithOIDC } from 'oidc-provider';

/**
 * A shopper's JWT access token for an API in `apis` also names the OpenID scopes of its sign-in
 * (`openid profile email …` before the API's own), as Auth0's do: that is what lets `/userinfo`
 * accept it (api-token-userinfo.ts), and a JWT carries no link back to its grant, so the token is the
 * only record of what that sign-in asked for (the grant of a first-party app only ever grows).
 * oidc-provider's customizer for JWT access tokens; machine (client_credentials) and Management API
 * tokens are left as they are.
 */
export function createApiTokenScope(apiIdentifiers: readonly string[]) {
  const apis = new Set(apiIdentifiers);
  return (ctx: KoaContextWithOIDC, token: AccessToken | ClientCredentials, { payload }: JWTStructured): void => {
    if (token.kind !== 'AccessToken' || !apis.has(String(payload.aud))) return;
    const { grant, entities, params, requestParamScopes } = ctx.oidc;
    // What the code, or the refresh token (narrowed by its request's `scope`), was issued for.
    const source = entities.AuthorizationCode ?? entities.RefreshToken;
    const asked = params?.scope && !entities.AuthorizationCode ? requestParamScopes : source?.scopes;
    const openid = asked && grant?.getOIDCScopeFiltered(asked);
    if (openid) payload.scope = [openid, payload.scope].filter(Boolean).join(' ');
  };
}
