import type { KoaContextWithOIDC } from 'oidc-provider';

/**
 * oidc-provider asks for consent whenever the grant lacks a requested scope. The store's own
 * applications (first_party, the default) are trusted: their grant is extended to what they ask
 * for, so shoppers never see a consent screen for them. Third-party clients get the consent page.
 */
export async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { client, session, provider } = ctx.oidc;
  if (!client || !session?.accountId) return undefined;
  const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
  const existing = grantId ? await provider.Grant.find(grantId) : undefined;
  if (client.metadata().first_party === false) return existing;

  const grant = existing ?? new provider.Grant({ clientId: client.clientId, accountId: session.accountId });
  const oidcScopes = [...ctx.oidc.requestParamOIDCScopes];
  if (oidcScopes.length) grant.addOIDCScope(oidcScopes.join(' '));
  const claims = [...ctx.oidc.requestParamClaims];
  if (claims.length) grant.addOIDCClaims(claims);
  for (const [indicator, server] of Object.entries(ctx.oidc.resourceServers ?? {})) {
    const requested = [...ctx.oidc.requestParamScopes].filter((s) => (server.scope ?? '').split(' ').includes(s));
    grant.addResourceScope(indicator, requested.join(' '));
  }
  await grant.save();
  return grant;
}
