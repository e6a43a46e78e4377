import { doubleCsrf } from 'csrf-csrf';
import type { Request } from 'express';
import { hkdfSync } from 'node:crypto';
import type { Config } from '../../config/schema.ts';

/**
 * Signed double-submit CSRF tokens (OWASP CSRF cheat sheet), bound to the sign-in interaction in
 * the URL, so a token from one interaction cannot be replayed on another.
 */
export function createCsrf(config: Config) {
  const secrets = config.secrets.cookie_keys.map((key) => Buffer.from(hkdfSync('sha256', key, 'insole', 'csrf', 32)).toString('hex'));
  const secure = config.issuer.startsWith('https://');
  return doubleCsrf({
    getSecret: () => secrets,
    getSessionIdentifier: (req) => String(req.params?.uid ?? ''),
    // __Host- cookies must be Secure; plain http (development) cannot use the prefix.
    cookieName: secure ? '__Host-insole.csrf' : 'insole.csrf',
    cookieOptions: { sameSite: 'lax', secure, httpOnly: true, path: '/' },
    getCsrfTokenFromRequest: (req) => (req.body as Record<string, unknown> | undefined)?._csrf as string | undefined,
    errorConfig: { statusCode: 403, code: 'invalid_csrf_token', message: 'This form has expired. Please go back and try again.' },
  });
}

/**
 * The same signed double-submit tokens for the dashboard, bound to its session (the `sid` sealed in
 * the session cookie, new at every sign-in) and kept in a cookie of their own, so dashboard forms
 * and sign-in forms in other tabs never overwrite each other's token. Forms send `_csrf`; the
 * dashboard's scripts send the `x-csrf-token` header. Before any session exists the identifier is
 * empty, and no token for it is ever handed out.
 */
export function createDashboardCsrf(config: Config, sessionIdOf: (req: Request) => string | undefined) {
  const secrets = config.secrets.cookie_keys.map((key) => Buffer.from(hkdfSync('sha256', key, 'insole', 'dashboard-csrf', 32)).toString('hex'));
  const secure = config.issuer.startsWith('https://');
  return doubleCsrf({
    getSecret: () => secrets,
    getSessionIdentifier: (req) => sessionIdOf(req) ?? '',
    cookieName: secure ? '__Host-insole.dashboard.csrf' : 'insole.dashboard.csrf',
    cookieOptions: { sameSite: 'lax', secure, httpOnly: true, path: '/' },
    getCsrfTokenFromRequest: (req) => ((req.body as Record<string, unknown> | undefined)?._csrf as string | undefined) ?? req.get('x-csrf-token'),
    errorConfig: { statusCode: 403, code: 'invalid_csrf_token', message: 'This form has expired. Please go back and try again.' },
  });
}
