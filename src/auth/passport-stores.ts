import type { Request } from 'express';
import type { HandshakeStore } from './handshake.store.ts';
import { offProviderClock } from './provider-clock.ts';

type Callback = (err: Error | null, ...rest: unknown[]) => void;

declare module 'express-serve-static-core' {
  interface Request { handshakeUid?: string }
}

/** Why a strategy fails when its state or request token was used up (by a concurrent use of the same callback). */
export const STATE_USED_UP = 'The sign-in request expired or was already used.';

/**
 * passport-oauth2 state store: the state is the id of a single-use record naming the OIDC
 * interaction that started the sign-in. Verification consumes it, so a state works once.
 */
export function oauth2StateStore(handshakes: HandshakeStore, connection: string) {
  return {
    store(req: Request, _meta: unknown, cb: Callback) {
      // passport starts a new authorization when a callback has neither code nor error; outside an
      // interaction that would bind a state to no one, so it is a failed sign-in instead.
      if (!req.params.uid) return cb(new Error('the provider came back without a code'));
      offProviderClock(req, () => handshakes.put({ kind: 'state', uid: String(req.params.uid), connection, data: {} }))
        .then((state) => cb(null, state), cb);
    },
    verify(req: Request, state: string, cb: Callback) {
      if (typeof state !== 'string' || !state) return cb(null, false, { message: 'The sign-in request is missing its state.' });
      offProviderClock(req, () => handshakes.take(state, 'state')).then((record) => {
        if (!record || record.connection !== connection) return cb(null, false, { message: STATE_USED_UP });
        req.handshakeUid = record.uid;
        cb(null, true);
      }, cb);
    },
  };
}

/** passport-oauth1 request-token store: the token secret, keyed by the request token, bound to the interaction. */
export function oauth1RequestTokenStore(handshakes: HandshakeStore) {
  const id = (token: string) => `twitter:${token}`;
  return {
    get(req: Request, token: string, cb: Callback) {
      offProviderClock(req, () => handshakes.take(id(token), 'request_token')).then((record) => {
        if (!record) return cb(null, undefined, { message: STATE_USED_UP });
        req.handshakeUid = record.uid;
        cb(null, record.data.token_secret);
      }, cb);
    },
    set(req: Request, token: string, tokenSecret: string, _meta: unknown, cb: Callback) {
      // passport-oauth1 does not check the request-token answer; without a token it would send the
      // shopper to the provider with oauth_token=undefined.
      if (!token || !tokenSecret) return cb(new Error('the provider sent no request token'));
      offProviderClock(req, () => handshakes.put({ _id: id(token), kind: 'request_token', uid: String(req.params.uid), connection: 'twitter', data: { token_secret: tokenSecret } }))
        .then(() => cb(null), cb);
    },
    destroy(_req: Request, _token: string, cb: Callback) {
      cb(null); // already consumed by get()
    },
  };
}
