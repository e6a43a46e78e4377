import type Provider from 'oidc-provider';

/**
 * Every ID token carries `sid`, the session's id for the client, as Auth0's do: relying parties
 * match it against a logout token's (OpenID Connect Back-Channel Logout 1.0 §2.4) or keep it to
 * tell sessions apart. oidc-provider adds it only for clients with a `backchannel_logout_uri` and
 * `backchannel_logout_session_required` (`Client#includeSid`, which has no configuration option);
 * the code, access and refresh tokens keep it from there, so a refreshed ID token has it too. The
 * logout token still carries `sid` only when the client asked (`backchannel_logout_session_required`).
 */
export function includeSidInEveryIdToken(provider: Provider): void {
  const { prototype } = provider.Client as unknown as { prototype: { includeSid(): boolean } };
  prototype.includeSid = () => true;
}
