import type { Request, Response } from 'express';
import type { Config } from '../config/schema.ts';

export type PendingLinkCookie = ReturnType<typeof createPendingLinkCookie>;

/**
 * Whether this interaction offered to link a social identity (the shopper was asked to sign in to
 * the account it belongs with): only then does a password sign-in look for the pending link, instead
 * of a database look-up on every sign-in. A hint, not a credential: the pending link itself is still
 * taken by interaction and checked against the account signed in to, so a cookie removed only skips
 * the link, and a cookie added only costs the look-up. Scoped to the interaction's pages.
 */
export function createPendingLinkCookie(config: Config) {
  const secure = config.issuer.startsWith('https://');
  const name = secure ? '__Secure-insole.link' : 'insole.link';
  const options = (uid: string) => ({ httpOnly: true, sameSite: 'lax', secure, path: `/interaction/${uid}`, maxAge: config.ttl.interaction * 1000 } as const);

  return {
    offered(res: Response, uid: string): void {
      res.cookie(name, uid, options(uid));
    },

    wasOffered(req: Request, uid: string): boolean {
      return (req.cookies as Record<string, unknown> | undefined)?.[name] === uid;
    },
  };
}
