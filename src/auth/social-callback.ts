import type { Identity } from '../users/user.model.ts';
import type { HandshakeStore } from './handshake.store.ts';
import { CONNECTION_LABELS, type ProviderResult } from './passport-setup.ts';
import { STATE_USED_UP } from './passport-stores.ts';
import { PROFILE_MAPPERS, type SocialConnection } from './profile-mapping.ts';

/** How a provider round trip ended, once passport has run (see http/routes/run-strategy.ts). */
export type ProviderOutcome =
  | { kind: 'success'; result: ProviderResult }
  | { kind: 'denied'; reason: string }
  | { kind: 'failed'; reason: string };

export type CallbackAdmission =
  | { kind: 'admitted'; key: string; uid: string }
  | { kind: 'refused'; reason: string };

type Query = Record<string, unknown>;

export type SocialCallbacks = ReturnType<typeof createSocialCallbacks>;

/**
 * The provider's return to /login/callback/:connection. Nothing in a callback is trusted until it is
 * known to answer a sign-in this browser started: only then may passport spend the code (or the
 * OAuth 1.0a verifier) at the provider. RFC 9700 §4.7 (CSRF) and §4.5 (code injection): the state
 * is bound to the user agent, and a callback that is not ours must not reach the token endpoint.
 */
export function createSocialCallbacks({ handshakes, sealTokens }: {
  handshakes: HandshakeStore; sealTokens: (tokens: ProviderResult['tokens']) => Identity['sealed_tokens'];
}) {
  const label = (connection: SocialConnection) => CONNECTION_LABELS[connection];
  const refusedMessage = (connection: SocialConnection) =>
    `That sign-in with ${label(connection)} has expired, was already used, or was started in another browser. Please try again.`;

  return {
    /**
     * The state (OAuth 2 `state`; OAuth 1.0a the request token, `oauth_token` or `denied`) must name
     * a live record of this connection, bound to an interaction `startedHere` says this browser left
     * from. Only read: the strategy consumes the record, so it still works once.
     */
    async admit(connection: SocialConnection, query: Query, startedHere: (uid: string) => boolean): Promise<CallbackAdmission> {
      const key = handshakeKeyOf(connection, query);
      const started = key ? await handshakes.peek(key, connection === 'twitter' ? 'request_token' : 'state') : null;
      if (!key || !started || started.connection !== connection) return { kind: 'refused', reason: 'missing or unknown state' };
      if (!startedHere(started.uid)) return { kind: 'refused', reason: 'state of a sign-in this browser did not start' };
      return { kind: 'admitted', key, uid: started.uid };
    },

    /** The message for the sign-in page when a callback was refused. */
    refusedMessage,

    /** What the interaction is handed: the mapped profile and sealed tokens, or a message for the sign-in page. */
    resultOf(connection: SocialConnection, outcome: ProviderOutcome): Record<string, unknown> {
      if (outcome.kind === 'denied' && outcome.reason === STATE_USED_UP) {
        return { error: refusedMessage(connection), reason: 'state already used' }; // a concurrent use of the same callback won
      }
      if (outcome.kind === 'denied') return { error: `You cancelled signing in with ${label(connection)}.`, reason: outcome.reason };
      if (outcome.kind === 'failed') return { error: `${label(connection)} is not answering right now. Please try again, or use another way to sign in.`, reason: outcome.reason };
      try {
        return { profile: PROFILE_MAPPERS[connection](outcome.result.raw), sealed: sealTokens(outcome.result.tokens) };
      } catch (err) {
        return { error: `${label(connection)} sent a profile we could not read. Please try again.`, reason: (err as Error).message };
      }
    },
  };
}

function handshakeKeyOf(connection: SocialConnection, query: Query): string | undefined {
  const text = (value: unknown) => (typeof value === 'string' && value.length > 0 && value.length <= 512 ? value : undefined);
  if (connection !== 'twitter') return text(query.state);
  const token = text(query.oauth_token) ?? text(query.denied);
  return token && `twitter:${token}`;
}
