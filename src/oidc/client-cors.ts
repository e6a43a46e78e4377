import type { Client, KoaContextWithOIDC } from 'oidc-provider';

/**
 * Which browser origins may call the token, userinfo, revocation and introspection endpoints on a
 * client's behalf (oidc-provider's `clientBasedCORS`; browsers send `Origin` with every POST, even
 * same-origin ones). insole's own origin is not a cross-origin caller: its API reference page
 * (/api/v2/docs, "Authorize") asks for a Management API token there. Any other origin: oidc-provider's
 * own rule, kept as it was — only for /userinfo and public clients, from their redirect_uris' origins;
 * a confidential client's secret is never usable from another site's page.
 */
export function createClientCors(issuer: string) {
  const allowed = originRule(issuer);
  return (ctx: KoaContextWithOIDC, origin: string, client: Client): boolean => allowed(origin, client, ctx.oidc.route === 'userinfo');
}

/** The same rule at /userinfo, for its answers that oidc-provider does not give (api-token-userinfo.ts). */
export function createUserinfoCors(issuer: string) {
  const allowed = originRule(issuer);
  return (origin: string, client: Client): boolean => allowed(origin, client, true);
}

function originRule(issuer: string) {
  const own = new URL(issuer).origin;
  return (origin: string, client: Client, atUserinfo: boolean): boolean => {
    if (origin === own) return true;
    if (origin === 'null') return false;
    if (atUserinfo || client.clientAuthMethod === 'none') {
      return (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin);
    }
    return false;
  };
}
