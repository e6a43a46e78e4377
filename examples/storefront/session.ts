import { randomBytes } from 'node:crypto';
import type { CookieOptions, Request } from 'express';

export const SESSION_COOKIE = 'storefront_session';

/**
 * One cookie per sign-in in progress, named after its `state` (as nextjs-auth0 names `__txn_<state>`):
 * a shopper who opens /login in two tabs has two sign-ins, and finishing one must not need the other's
 * verifier and nonce. The callback finds its own by the `state` insole sends back.
 */
export const transactionCookieName = (state: string) => `storefront_txn_${state}`;

/** What the storefront remembers about a signed-in shopper. Tokens never leave the server. */
export interface StorefrontSession {
  claims: { sub: string; email?: string; name?: string; nickname?: string; picture?: string; [claim: string]: unknown };
  idToken: string;
  accessToken: string;
  accessTokenExpiresAt: number; // epoch ms
  refreshToken?: string;
}

/**
 * Sessions in memory, keyed by a random id that is the only thing the cookie carries. Enough for
 * an example (one process, lost on restart); a real shop would put them in Redis or its database.
 */
export class SessionStore {
  readonly ttlMs: number;
  readonly #sessions = new Map<string, StorefrontSession & { expiresAt: number }>();

  constructor(ttlMs = 8 * 3600_000) { this.ttlMs = ttlMs; }

  /** A new id on every sign-in (never reuse one a browser already had: session fixation). */
  create(session: StorefrontSession): string {
    this.#sweep();
    const id = randomBytes(32).toString('base64url');
    this.#sessions.set(id, { ...session, expiresAt: Date.now() + this.ttlMs });
    return id;
  }

  get(id: string | undefined): StorefrontSession | undefined {
    const found = id === undefined ? undefined : this.#sessions.get(id);
    if (found && found.expiresAt <= Date.now()) this.#sessions.delete(id!);
    return found && found.expiresAt > Date.now() ? found : undefined;
  }

  update(id: string, patch: Partial<StorefrontSession>): void {
    const found = this.#sessions.get(id);
    if (found) Object.assign(found, patch);
  }

  delete(id: string): void { this.#sessions.delete(id); }

  get size(): number { return this.#sessions.size; }

  #sweep(): void {
    const now = Date.now();
    for (const [id, session] of this.#sessions) if (session.expiresAt <= now) this.#sessions.delete(id);
  }
}

/** The session id from the signed cookie; a cookie with a bad signature reads as `false`, i.e. none. */
export function sessionIdOf(req: Request): string | undefined {
  const id: unknown = req.signedCookies?.[SESSION_COOKIE];
  return typeof id === 'string' && id ? id : undefined;
}

/** Signed (tamper-evident), HttpOnly (no script access), SameSite=Lax (not sent on cross-site POSTs). */
export function cookieOptions(baseUrl: string, maxAgeMs?: number, path = '/'): CookieOptions {
  return { signed: true, httpOnly: true, sameSite: 'lax', secure: baseUrl.startsWith('https:'), path, maxAge: maxAgeMs };
}
