/**
 * Where a relying party receives logout tokens (OpenID Connect Back-Channel Logout 1.0 §2.2: an
 * absolute URL, no fragment). Auth0 takes https only; insole also takes http:// for a loopback host
 * (an app on the developer's machine), and refuses even that in production (production-checks.ts).
 */
const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

/** Why this URL cannot receive logout tokens, or undefined when it can. */
export function backchannelLogoutUriProblem(value: string, env: 'development' | 'test' | 'production' | undefined): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute https:// URL, e.g. https://shop.example/backchannel-logout';
  }
  if (url.hash || value.includes('#')) return 'must have no fragment (#)';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol !== 'http:') return 'must be an https:// URL';
  if (!LOOPBACK_HOSTS.test(url.hostname)) return 'must be an https:// URL (http:// only for localhost, 127.0.0.1 or [::1], in development)';
  if (env === 'production') return 'must be an https:// URL in production (http:// is for an app on this machine, in development)';
  return undefined;
}
