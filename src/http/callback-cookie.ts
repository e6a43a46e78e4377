import { hkdfSync } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Config } from '../config/schema.ts';

const PATH = '/login/callback';

/** cookie-parser's signing secrets, derived from the cookie keys (first signs, all verify: rotation). */
export function signedCookieSecrets(config: Config): string[] {
  return config.secrets.cookie_keys.map((key) => Buffer.from(hkdfSync('sha256', key, 'insole', 'signed-cookies', 32)).toString('hex'));
}

export type CallbackCookie = ReturnType<typeof createCallbackCookie>;

/**
 * Which sign-ins this browser sent to a social provider, for the provider's return to
 * /login/callback/:connection. oidc-provider's interaction cookie is scoped to /interaction/:uid
 * and never reaches the callback, so the callback could not otherwise tell that a state belongs
 * to this browser. One cookie per interaction, named after it and holding its uid, so sign-ins in
 * two tabs do not overwrite each other: signed (a browser cannot claim an interaction it did not
 * leave from: the connect route checks the interaction cookie before setting it), HttpOnly,
 * SameSite=Lax (sent on the provider's top-level redirect back), scoped to the callback path, and
 * gone when the interaction would have expired.
 */
export function createCallbackCookie(config: Config) {
  const secure = config.issuer.startsWith('https://');
  // __Secure-: only a secure origin may set it (there is no __Host- without path=/).
  const prefix = secure ? '__Secure-insole.callback.' : 'insole.callback.';
  const options = { signed: true, httpOnly: true, sameSite: 'lax', secure, path: PATH, maxAge: config.ttl.interaction * 1000 } as const;

  return {
    /** The shopper leaves interaction `uid` for a provider. */
    remember(res: Response, uid: string): void {
      res.cookie(prefix + uid, uid, options);
    },

    /** Whether this browser left for a provider from interaction `uid`. */
    startedHere(req: Request, uid: string): boolean {
      return (req.signedCookies as Record<string, unknown> | undefined)?.[prefix + uid] === uid;
    },

    /** Every interaction this browser left from, as its signed cookies say. */
    uidsOf(req: Request): string[] {
      return Object.entries((req.signedCookies ?? {}) as Record<string, unknown>)
        .filter(([name, value]) => name.startsWith(prefix) && value === name.slice(prefix.length))
        .map(([, uid]) => uid as string);
    },
  };
}
