import { doubleCsrf } from 'csrf-csrf';
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
