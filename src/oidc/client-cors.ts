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
  const own = new URL(issuer).origin;
  return (ctx: KoaContextWithOIDC, origin: string, client: Client): boolean => {
    if (origin === own) return true;
    if (origin === 'null') return false;
    if (ctx.oidc.route === 'userinfo' || client.clientAuthMethod === 'none') {
      return (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin);
    }
    return false;
  };
}
