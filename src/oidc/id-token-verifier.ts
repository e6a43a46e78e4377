import { jwtVerify } from 'jose';
import { BadRequestError } from '../errors/app-error.ts';
import { publishedKeySet } from './access-token-verifier.ts';
import type { PublicJwk } from './live-provider.ts';

/** Checks an ID token insole issued to `clientId`; its subject (the user_id). */
export type VerifyIdToken = (token: string, clientId: string | undefined) => Promise<string>;

/**
 * Auth0's `link_with`: the secondary user's ID token, which Auth0 accepts when it is signed with
 * RS256 and its `aud` is the client calling the Management API. Checked offline as any relying party
 * would: our published keys, the issuer, that audience, expiry. The same keys sign access tokens
 * (`typ: at+jwt`), logout tokens (`logout+jwt`) and introspection answers, each naming its type; an
 * ID token names none (or JWT), so none of the others can pass for one.
 */
export function createIdTokenVerifier({ publicKeys, issuer }: { publicKeys: () => PublicJwk[]; issuer: string }): VerifyIdToken {
  const currentJwks = publishedKeySet(publicKeys);
  const refused = () => new BadRequestError('link_with is not a valid ID token for this client: it must be issued by insole to the client that calls '
    + '(aud), signed with RS256 and not expired.', 'invalid_body');

  return async (token, clientId) => {
    if (!clientId) throw refused();
    try {
      const { payload, protectedHeader } = await jwtVerify(token, currentJwks(), { issuer, audience: clientId, algorithms: ['RS256'], requiredClaims: ['exp', 'iat', 'sub'] });
      if (protectedHeader.typ !== undefined && protectedHeader.typ.toUpperCase() !== 'JWT') throw refused();
      return payload.sub!;
    } catch (err) {
      throw err instanceof BadRequestError ? err : refused();
    }
  };
}
