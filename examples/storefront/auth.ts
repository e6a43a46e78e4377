import { Router, type Request, type Response } from 'express';
import * as oidc from 'openid-client';
import { errorPage, sendPage } from './pages.ts';
import { isSignInRefusal, revokeQuietly, SCOPE, type AuthSettings, type Discover } from './insole-client.ts';
import { cookieOptions, sessionIdOf, SESSION_COOKIE, transactionCookieName, type SessionStore } from './session.ts';

const SIGN_IN_TIME_LIMIT_MS = 10 * 60_000;

interface SignInTransaction { verifier: string; state: string; nonce: string }

/** /login, /signup, /callback and /logout: authorization code flow with PKCE (S256), state and nonce. */
export function authRoutes(settings: AuthSettings, discover: Discover, sessions: SessionStore): Router {
  const router = Router();
  const redirectUri = `${settings.baseUrl}/callback`;
  const transactionCookie = cookieOptions(settings.baseUrl, SIGN_IN_TIME_LIMIT_MS, '/callback');
  const sessionCookie = cookieOptions(settings.baseUrl, sessions.ttlMs);

  async function redirectToInsole(res: Response, extra: Record<string, string> = {}) {
    const config = await discover();
    const transaction: SignInTransaction = { verifier: oidc.randomPKCECodeVerifier(), state: oidc.randomState(), nonce: oidc.randomNonce() };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: SCOPE,
      audience: settings.audience,
      code_challenge: await oidc.calculatePKCECodeChallenge(transaction.verifier),
      code_challenge_method: 'S256',
      state: transaction.state,
      nonce: transaction.nonce,
      ...extra,
    });
    res.cookie(transactionCookieName(transaction.state), JSON.stringify(transaction), transactionCookie);
    res.redirect(303, url.href);
  }

  router.get('/login', (_req, res) => redirectToInsole(res));
  router.get('/signup', (_req, res) => redirectToInsole(res, { screen_hint: 'signup' }));

  router.get('/callback', async (req, res) => {
    const state = typeof req.query.state === 'string' ? req.query.state : '';
    const transaction = readTransaction(req, state);
    if (!transaction) {
      // Back after signing in re-opens this URL, whose sign-in is used up: the shopper is in already.
      if (sessions.get(sessionIdOf(req))) return res.redirect(303, '/');
      return sendPage(res, 400, errorPage('Sign-in expired', 'This sign-in took too long or was started in another browser. Please try again.'));
    }
    res.clearCookie(transactionCookieName(state), { ...transactionCookie, maxAge: undefined }); // one use only
    // The redirect_uri sent to the token endpoint is this URL without its query: build it from
    // baseUrl, not from the Host header a client chose.
    const currentUrl = new URL(redirectUri);
    currentUrl.search = new URL(req.originalUrl, redirectUri).search;
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(await discover(), currentUrl, {
        pkceCodeVerifier: transaction.verifier,
        expectedState: transaction.state,
        expectedNonce: transaction.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      if (!isSignInRefusal(err)) throw err;
      return sendPage(res, 400, errorPage('Sign-in did not complete', reasonOf(err)));
    }
    const previous = sessionIdOf(req);
    if (previous) sessions.delete(previous);
    const id = sessions.create({
      claims: tokens.claims()!,
      idToken: tokens.id_token!,
      accessToken: tokens.access_token,
      accessTokenExpiresAt: Date.now() + (tokens.expiresIn() ?? 0) * 1000,
      refreshToken: tokens.refresh_token,
    });
    res.cookie(SESSION_COOKIE, id, sessionCookie);
    res.redirect(303, '/');
  });

  // POST, so another site cannot sign shoppers out with an <img>; SameSite=Lax keeps the cookie
  // off cross-site form posts too.
  router.post('/logout', async (req, res) => {
    const id = sessionIdOf(req);
    const session = sessions.get(id);
    if (id) sessions.delete(id);
    res.clearCookie(SESSION_COOKIE, { ...sessionCookie, maxAge: undefined });
    // A refresh token may outlive the insole session (offline_access, OIDC Core §11): revoke it, not just forget it.
    if (session?.refreshToken) await revokeQuietly(discover, session.refreshToken);
    // RP-initiated logout: end the session at insole too, then come back to the home page.
    const endSession = oidc.buildEndSessionUrl(await discover(), {
      post_logout_redirect_uri: `${settings.baseUrl}/`,
      ...(session ? { id_token_hint: session.idToken } : {}),
    });
    res.redirect(303, endSession.href);
  });

  return router;
}

/** The sign-in this callback answers, by the `state` in its URL; none for a state this browser did not start. */
function readTransaction(req: Request, state: string): SignInTransaction | undefined {
  const raw: unknown = req.signedCookies?.[transactionCookieName(state)];
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed = JSON.parse(raw) as Partial<SignInTransaction>;
    const { verifier, state, nonce } = parsed;
    return typeof verifier === 'string' && typeof state === 'string' && typeof nonce === 'string' ? { verifier, state, nonce } : undefined;
  } catch {
    return undefined;
  }
}

function reasonOf(err: Error): string {
  // insole's own words (e.g. "The user cancelled the sign-in.") are meant for people.
  if (err instanceof oidc.AuthorizationResponseError || err instanceof oidc.ResponseBodyError) return err.error_description ?? err.error;
  return 'The answer from the sign-in service could not be verified. Please sign in again.'; // state, nonce, ID token checks
}

