import { doubleCsrf } from 'csrf-csrf';
import type { NextFunction, Request, Response } from 'express';
import { createHmac, createSecretKey, hkdfSync, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import type { Config } from '../../config/schema.ts';
import { AppError } from '../../errors/app-error.ts';

const BROWSER_VALUE = /^[0-9a-f]{64}$/;
const expired = () => new AppError('invalid_csrf_token', 403, 'This form has expired. Please go back and try again.');

/**
 * Signed double-submit tokens (OWASP CSRF cheat sheet) for the hosted pages, bound to the sign-in
 * interaction in the URL (none on the account pages), so a token from one interaction cannot be
 * replayed on another. The cookie holds a random value of this browser, set once and then kept;
 * a form's token is an HMAC of it and the interaction. So every page open in any tab keeps a valid
 * token: csrf-csrf's cookie is the token itself, bound to one interaction, so each page shown
 * replaced it and a second sign-in (or the password-reset page) in another tab expired this one's form.
 */
export function createCsrf(config: Config) {
  // First key signs, all verify (rotation). KeyObjects: on Node 24 an HMAC under a Buffer key costs
  // about 28 µs against 4 µs (its key-type checks throw and catch twice; see src/oidc/cookie-keys.ts).
  const keys = config.secrets.cookie_keys.map((key) => createSecretKey(Buffer.from(hkdfSync('sha256', key, 'insole', 'csrf', 32))));
  const secure = config.issuer.startsWith('https://');
  // __Host- cookies must be Secure; plain http (development) cannot use the prefix.
  const cookieName = secure ? '__Host-insole.csrf' : 'insole.csrf';
  const cookieOptions = { sameSite: 'lax', secure, httpOnly: true, path: '/' } as const;
  const browserOf = (req: Request): string | undefined => {
    const value: unknown = (req.cookies as Record<string, unknown> | undefined)?.[cookieName];
    return typeof value === 'string' && BROWSER_VALUE.test(value) ? value : undefined;
  };
  // Length-prefixed, so no interaction and browser value can be read as another pair.
  const sign = (key: KeyObject, req: Request, browser: string) => {
    const uid = String(req.params?.uid ?? '');
    return createHmac('sha256', key).update(`${uid.length}!${uid}!${browser}`).digest('base64url');
  };

  return {
    /** The token for the form of the page at `req`; a browser without the cookie gets it on `res`. */
    generateCsrfToken(req: Request, res: Response): string {
      let browser = browserOf(req);
      if (!browser) {
        browser = randomBytes(32).toString('hex');
        res.cookie(cookieName, browser, cookieOptions);
      }
      return sign(keys[0], req, browser);
    },

    /** Mounted on the forms' posts: the `_csrf` field must be this browser's token for this interaction. */
    doubleCsrfProtection(req: Request, _res: Response, next: NextFunction): void {
      const browser = browserOf(req);
      const field: unknown = (req.body as Record<string, unknown> | undefined)?._csrf;
      const sent = Buffer.from(typeof field === 'string' ? field : '');
      const valid = browser !== undefined && keys.some((key) => {
        const expected = Buffer.from(sign(key, req, browser));
        return sent.length === expected.length && timingSafeEqual(sent, expected);
      });
      next(valid ? undefined : expired());
    },
  };
}

/**
 * Signed double-submit tokens for the dashboard too (csrf-csrf: its cookie is the token), bound to its session (the `sid` sealed in
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
