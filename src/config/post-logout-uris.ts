// An http(s) URL naming only scheme and authority, with or without the "/" of its empty path.
const ORIGIN_ONLY = /^https?:\/\/[^/?#\\@]+\/?$/i;

/**
 * The post-logout redirect URIs a client is registered with: those given, and for a home page
 * (an http(s) URL with no path) its other spelling too, `https://shop.example` beside
 * `https://shop.example/` (RFC 3986 §6.2.3: the same page). express-openid-connect sends its
 * `baseURL` without the slash, auth0-spa-js's default is the bare origin, and stores often register
 * it with one. Registering both keeps the match at logout exact (OpenID Connect RP-Initiated Logout
 * 1.0 §3, STANDARDS.md): only a registered string redirects. Other URLs are kept as given; the
 * order too, so the first (Auth0's default `returnTo`) stays first.
 */
export function withBothHomePageForms(uris: readonly string[]): string[] {
  const registered = [...uris];
  for (const uri of uris) {
    if (!ORIGIN_ONLY.test(uri)) continue;
    const other = uri.endsWith('/') ? uri.slice(0, -1) : `${uri}/`;
    if (!registered.includes(other)) registered.push(other);
  }
  return registered;
}
