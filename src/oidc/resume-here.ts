import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LiveProvider } from './live-provider.ts';

/** The result an interaction was finished with, by the resume request it was handed to (never stored). */
const handedOver = new WeakMap<object, { uid: string; result: Record<string, unknown> }>();

/**
 * The result of the interaction `uid` when this resume request was started by `resumeHere` for it
 * (mongo-adapter.ts merges it into the interaction it takes), else undefined.
 */
export function resultHandedTo(req: object | undefined, uid: string): Record<string, unknown> | undefined {
  const handed = req ? handedOver.get(req) : undefined;
  return handed?.uid === uid ? handed.result : undefined;
}

export type ResumeHere = (req: IncomingMessage, res: ServerResponse, interaction: { uid: string }, result: Record<string, unknown>) => Promise<void>;

/**
 * Finishes an interaction and resumes the authorization request in the same HTTP request: the
 * sign-in POST answers with what `GET /authorize/:uid` would have (the redirect to the client with
 * the code, the session cookie), one hop fewer, as Keycloak's login POST does. oidc-provider's
 * `interactionFinished` saves the result and sends the browser to the resume URL; here oidc-provider's
 * own resume route runs on this request instead, so every check and error answer is its own.
 *
 * The resume finds its interaction by the `_interaction_resume` cookie, which the browser only sends
 * to `/authorize/:uid` (its path). This request has already proven the same thing: the route's
 * `interactionDetails` checked the signed `_interaction` cookie, which oidc-provider set in the same
 * answer with the same value (the uid), keys and lifetime (lib/actions/authorization/interactions.js).
 * So the resume cookie is signed here with the provider's own cookie keys (`provider.keys`,
 * cookie-keys.ts), for that uid only; oidc-provider 9 has no API to resume without the cookie.
 *
 * The result is handed to the resume with the request object (`resultHandedTo`) rather than saved:
 * the resume takes the stored interaction in one find-and-delete and uses the result it was handed,
 * so the interaction is not written only to be deleted (one command fewer), and a resume of an
 * interaction another request already took finds nothing, as before.
 */
export function createResumeHere(live: Pick<LiveProvider, 'current' | 'handle'>): ResumeHere {
  return async (req, res, { uid }, result) => {
    const provider = live.current();
    const name = provider.cookieName('resume');
    const keys = provider.keys;
    if (Array.isArray(keys)) throw new Error('resumeHere: the provider signs cookies with a key list, not its own signer');
    const resumeCookies = `${name}=${uid}; ${name}.sig=${keys.sign(`${name}=${uid}`)}`;
    // First, then the browser's own header untouched (its session above all): oidc-provider reads
    // cookies with the `cookies` module, which takes a name's first occurrence, so a resume cookie the
    // browser sent too (a client that ignores cookie paths) is not the one checked. Browsers list the
    // cookie with the longest path first (RFC 6265 §5.4), which the resume cookie's would be.
    const cookie = req.headers.cookie ? `${resumeCookies}; ${req.headers.cookie}` : resumeCookies;
    const { 'content-type': _type, 'content-length': _length, ...headers } = req.headers;
    const resume: IncomingMessage = Object.create(req);
    // The resume route as the provider's router matches it (the interaction's returnTo adds the issuer's path).
    const url = provider.pathFor('resume', { uid, mountPath: '' });
    // A GET as the browser would send it: no form body (the password stays with the sign-in route).
    Object.assign(resume, { method: 'GET', url, body: undefined, headers: { ...headers, cookie } });
    handedOver.set(resume, { uid, result });
    await live.handle(resume, res);
  };
}
