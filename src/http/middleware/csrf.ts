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
  const uidOf = (req: Request) => String(req.params?.uid ?? '');
  // Length-prefixed, so no interaction and browser value can be read as another pair.
  const sign = (key: KeyObject, req: Request, browser: string) => {
    const uid = uidOf(req);
    return createHmac('sha256', key).update(`${uid.length}!${uid}!${browser}`).digest('base64url');
  };
  // The token's second half: insole made it for this interaction, whatever the browser value.
  const stamp = (key: KeyObject, req: Request) => createHmac('sha256', key).update(`interaction!${uidOf(req)}`).digest('base64url');
  const same = (sent: string, expected: string) => {
    const [a, b] = [Buffer.from(sent), Buffer.from(expected)];
    return a.length === b.length && timingSafeEqual(a, b);
  };

  /** Whether the token checks out: for this browser and interaction ('valid'), only for this interaction ('stale'), or not at all. */
  function verdict(req: Request): 'valid' | 'stale' | 'invalid' {
    const browser = browserOf(req);
    const field: unknown = (req.body as Record<string, unknown> | undefined)?._csrf;
    const [forBrowser = '', forInteraction = ''] = typeof field === 'string' ? field.split('.', 2) : [];
    if (browser === undefined || !keys.some((key) => same(forInteraction, stamp(key, req)))) return 'invalid';
    return keys.some((key) => same(forBrowser, sign(key, req, browser))) ? 'valid' : 'stale';
  }

  return {
    /** The token for the form of the page at `req`; a browser without the cookie gets it on `res`. */
    generateCsrfToken(req: Request, res: Response): string {
      let browser = browserOf(req);
      if (!browser) {
        browser = randomBytes(32).toString('hex');
        res.cookie(cookieName, browser, cookieOptions);
      }
      return `${sign(keys[0], req, browser)}.${stamp(keys[0], req)}`;
    },

    /** Mounted on the forms' posts: the `_csrf` field must be this browser's token for this interaction. */
    doubleCsrfProtection(req: Request, _res: Response, next: NextFunction): void {
      next(verdict(req) === 'valid' ? undefined : expired());
    },

    /**
     * doubleCsrfProtection for a sign-in's own forms, with one kindness. Two pages loaded at once
     * on a browser's first visit (two tabs) each set a cookie value; the browser keeps the last, so
     * the other page's form no longer matches it. A token insole made for this very interaction
     * (which oidc-provider's interaction cookie ties to this browser) whose only fault is the browser
     * value is that case: `reshow` shows the form again with a fresh token (a 400), and nothing else
     * is done. Any other token is refused as before.
     */
    interactionFormProtection(reshow: (req: Request, res: Response) => Promise<void>) {
      return (req: Request, res: Response, next: NextFunction): void => {
        const found = uidOf(req) ? verdict(req) : 'invalid';
        if (found === 'stale') reshow(req, res).catch(next);
        else next(found === 'valid' ? undefined : expired());
      };
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
