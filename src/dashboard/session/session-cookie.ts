import type { Request, Response } from 'express';
import type { Config } from '../../config/schema.ts';
import { createKeyring } from '../../lib/sealed-box.ts';

/** What the dashboard keeps between requests: the user's tokens, sealed in a cookie (no server-side session store). */
export interface DashboardSession {
  /** Random per sign-in: CSRF tokens are bound to it, so a new sign-in voids every form of the old one. */
  sid: string;
  access_token: string;
  /** Who signed in, as the ID token says (the name cut short): what the pages show. */
  who: { sub: string; email?: string; name?: string };
  /** Only for id_token_hint at sign-out; left out when it would not fit the cookie (long names, rules' claims). */
  id_token?: string;
  refresh_token?: string;
  /**
   * insole's session, as the ID token's `sid` names it (Back-Channel Logout 1.0 §2.1): a logout
   * token naming it ends this dashboard session. Missing in cookies from before it was kept.
   */
  insole_sid?: string;
  /** When this sign-in happened (epoch seconds): a logout token naming only the user ends the sessions started before it. */
  signed_in_at?: number;
  /** The access token's expiry (epoch seconds): the session ends then, unless the refresh token renews it. */
  expires_at: number;
}

/** The code flow in flight: checked at the callback (RFC 9700 §2.1: state, nonce and PKCE bound to this browser). */
export interface SignInFlow { state: string; nonce: string; verifier: string; return_to: string; started_at: number }

/** Browsers keep cookies up to 4096 bytes (name and value): a session that would not fit is refused rather than silently dropped. */
export const MAX_COOKIE_BYTES = 4000;
const FLOW_SECONDS = 600;
/** Sign-ins in flight kept at once (the newest): one per tab sent to sign in together, within reason. */
const MAX_FLOWS = 4;

export type SessionCookies = ReturnType<typeof createSessionCookies>;

/**
 * The session and sign-in cookies: AES-256-GCM sealed (a browser can neither read the tokens nor
 * forge a session), HttpOnly, SameSite=Lax, Secure and __Host- behind https. Sealed with a key
 * derived from the first cookie secret and opened with any (INSOLE_COOKIE_SECRETS rotation).
 */
export function createSessionCookies(config: Config) {
  const secure = config.issuer.startsWith('https://');
  const prefix = secure ? '__Host-' : '';
  const names = { session: `${prefix}insole.dashboard`, flow: `${prefix}insole.dashboard.flow` };
  const keyring = createKeyring(config.secrets.cookie_keys, 'dashboard-cookies');
  const options = { httpOnly: true, sameSite: 'lax' as const, secure, path: '/' };

  const seal = (purpose: string, value: object) => {
    const box = keyring.seal(JSON.stringify({ purpose, value }));
    return [box.iv, box.tag, box.data].map((part) => Buffer.from(part, 'base64').toString('base64url')).join('.');
  };
  function open<T>(purpose: string, text: unknown): T | undefined {
    if (typeof text !== 'string' || text.length > MAX_COOKIE_BYTES) return undefined;
    const [iv, tag, data] = text.split('.').map((part) => Buffer.from(part ?? '', 'base64url').toString('base64'));
    const plaintext = keyring.openedBy({ iv, tag, data })?.plaintext; // undefined: sealed with no key of ours
    if (plaintext === undefined) return undefined;
    const opened = JSON.parse(plaintext) as { purpose: string; value: T };
    return opened.purpose === purpose ? opened.value : undefined; // a flow cookie cannot pass for a session
  }
  const cookieOf = (req: Request, name: string) => (req.cookies as Record<string, unknown> | undefined)?.[name];

  return {
    names,
    readSession: (req: Request) => open<DashboardSession>('session', cookieOf(req, names.session)),
    /** `lifetimeSeconds`: how long the browser keeps it (the session itself ends at expires_at, or with the refresh token). */
    writeSession(res: Response, session: DashboardSession, lifetimeSeconds: number): void {
      let value = seal('session', session);
      // An ID token grows with the profile's names and picture and with rules' claims; the session does not need it.
      if (names.session.length + value.length > MAX_COOKIE_BYTES && session.id_token) value = seal('session', { ...session, id_token: undefined });
      if (names.session.length + value.length > MAX_COOKIE_BYTES) throw new Error(`the dashboard session cookie would be ${value.length} bytes, over the ${MAX_COOKIE_BYTES} browsers keep`);
      res.cookie(names.session, value, { ...options, maxAge: lifetimeSeconds * 1000 });
    },
    clearSession: (res: Response) => { res.clearCookie(names.session, options); },
    /**
     * The sign-ins in flight, newest first, each for ten minutes: tabs sent to sign in at once (a
     * browser restoring them) each find theirs at the callback, by its state.
     */
    readFlows(req: Request): SignInFlow[] {
      const flows = open<SignInFlow[]>('flows', cookieOf(req, names.flow));
      const from = Date.now() - FLOW_SECONDS * 1000;
      return Array.isArray(flows) ? flows.filter((flow) => typeof flow?.started_at === 'number' && flow.started_at > from) : [];
    },
    writeFlows(res: Response, flows: SignInFlow[]): void {
      let kept = flows.slice(0, MAX_FLOWS);
      if (!kept.length) return void res.clearCookie(names.flow, options);
      let value = seal('flows', kept);
      while (names.flow.length + value.length > MAX_COOKIE_BYTES && kept.length > 1) value = seal('flows', kept = kept.slice(0, -1));
      res.cookie(names.flow, value, { ...options, maxAge: FLOW_SECONDS * 1000 });
    },
  };
}
