import type Provider from 'oidc-provider';

// An http(s) URL naming only scheme and authority, with or without the "/" of its empty path.
const ORIGIN_ONLY = /^https?:\/\/[^/?#\\]+\/?$/i;

/**
 * Whether `requested` may be the post-logout redirect of a client that registered `registered`.
 * Registered URLs are matched exactly (OpenID Connect RP-Initiated Logout 1.0 §3; no prefixes, no
 * wildcards: never an open redirect), with one equivalence: for http and https an empty path is the
 * path "/" (RFC 3986 §6.2.3), so `https://shop.example` and `https://shop.example/` name the same page
 * and either form matches the other. Auth0's SDKs need it: express-openid-connect sends its
 * `baseURL` without the slash, while stores register their home page with it (or the other way).
 */
export function logoutRedirectAllowed(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  if (!ORIGIN_ONLY.test(requested)) return false;
  const target = URL.parse(requested);
  return registered.some((uri) => ORIGIN_ONLY.test(uri) && withSlash(uri) === withSlash(requested) && URL.parse(uri)?.href === target?.href);
}

const withSlash = (uri: string) => (uri.endsWith('/') ? uri : `${uri}/`);

/**
 * Applies the rule to oidc-provider's end_session endpoint (`/oidc/logout`), which otherwise compares
 * strings only. Its own check still runs first (it also allows a native app's loopback port).
 */
export function useLogoutRedirectRule(provider: Provider): void {
  const { prototype } = provider.Client;
  const ownCheck = prototype.postLogoutRedirectUriAllowed;
  prototype.postLogoutRedirectUriAllowed = function postLogoutRedirectUriAllowed(value: string) {
    return ownCheck.call(this, value) || logoutRedirectAllowed(this.postLogoutRedirectUris ?? [], value);
  };
}
